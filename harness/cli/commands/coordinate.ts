import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { UserError } from '../../common/errors.ts';
import { ExitCode } from '../../common/exit-codes.ts';
import { log } from '../../common/log.ts';
import { checkTargetUrls } from '../../common/loopback.ts';
import { resultsRoot } from '../../common/run-id.ts';
import { startCoordinator } from '../../distributed/index.ts';
import { renderTerminalSummary } from '../../gate/index.ts';
import { harnessVersion } from '../../results/files/index.ts';
import { loadPlan, mergeShardRuns, scenarioHash } from '../../run/index.ts';
import { readStackFile } from '../../stack/index.ts';
import { type CommandContext, collect } from '../command-context.ts';

interface CoordinateOptions {
  shards: string;
  runId: string;
  port: string;
  host: string;
  registrationTimeout: string;
  heartbeatTimeout: string;
  set: string[];
  merge: boolean;
  linger: string;
  out: string[];
}

/**
 * Where the merged run's ClickHouse row goes: `--out clickhouse=<url>` (the same flag the shards get), the
 * scenario's `results.clickhouse`, or with `--out clickhouse` the ClickHouse of the shards' external stack file.
 */
function mergedClickHouseUrl(plan: Awaited<ReturnType<typeof loadPlan>>): string | undefined {
  const selection = plan.outputs.clickhouse;
  if (!selection) return undefined;
  if (selection.url) return selection.url;
  const url =
    plan.stack.provider === 'external' && plan.stack.stackFile
      ? readStackFile(plan.stack.stackFile).stack.endpoints.clickhouse?.url
      : undefined;
  if (!url) {
    log.warn(
      'coordinate',
      '--out clickhouse: no ClickHouse to write the merged run to (give --out clickhouse=<url>, or a stack file with one); it stays in files',
    );
    return undefined;
  }
  checkTargetUrls([{ name: 'endpoints.clickhouse.url', url }], plan.stack.allowRemoteTargets);
  return url;
}

function positiveInteger(value: string, flag: string, min = 1): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UserError(`${flag} takes an integer ≥ ${min}, not "${value}"`);
  return n;
}

/**
 * `centrifugo-bench coordinate`: the coordinator of a sharded run (harness/distributed/README.md). Serves until
 * every shard is done (exit 0, or the merged run's verdict with --merge) or the run aborts (exit 3: the merged run
 * is invalid, with the reason). The scenario hash is that of the validated scenario after the same --set
 * overrides the shards get, so a shard running anything else is refused (exit 2 on the shard, naming both).
 */
export function registerCoordinate(program: Command, context: CommandContext): void {
  program
    .command('coordinate <scenario>')
    .description('coordinate a sharded run: registration, start barrier, clock offsets, heartbeats, merge')
    .requiredOption('--shards <n>', 'number of shards')
    .requiredOption('--run-id <id>', 'run id every shard uses')
    .option('--set <path=value>', 'the same scenario overrides the shards get (repeatable)', collect, [])
    .option('--port <n>', 'port to listen on (0: any free port, printed)', '7070')
    .option('--host <addr>', 'address to listen on (0.0.0.0 inside a pod)', '127.0.0.1')
    .option('--registration-timeout <s>', 'seconds for every shard to register and connect', '120')
    .option('--heartbeat-timeout <s>', 'seconds of silence after which a shard is dead', '10')
    .option(
      '--merge',
      'when the run ends, merge the shard folders (each shard sends its own here) into results/<run-id>/',
    )
    .option(
      '--out <clickhouse[=url]>',
      "with --merge: also write the merged run's row to ClickHouse (the shards write theirs with run --out clickhouse)",
      collect,
      [],
    )
    .option(
      '--linger <s>',
      'after merging, stay up this many seconds (a pod: so `kubectl cp` can copy the merged folder)',
      '0',
    )
    .action(async (scenario: string, options: CoordinateOptions) => {
      const other = options.out.filter((out) => out.split('=')[0] !== 'clickhouse');
      if (other.length > 0) {
        throw new UserError(`coordinate --out takes clickhouse[=url] only, not ${other.join(', ')}`);
      }
      const plan = await loadPlan(scenario, { overrides: options.set, outs: options.out, report: false });
      const clickhouseUrl = options.merge ? mergedClickHouseUrl(plan) : undefined;
      const shardCount = positiveInteger(options.shards, '--shards');
      const heartbeatTimeoutMs = positiveInteger(options.heartbeatTimeout, '--heartbeat-timeout') * 1000;
      const lingerMs = positiveInteger(options.linger, '--linger', 0) * 1000;
      let dead: number[] = [];
      const coordinator = await startCoordinator({
        runId: options.runId,
        shardCount,
        scenarioHash: scenarioHash(plan),
        harnessVersion: harnessVersion(),
        port: positiveInteger(options.port, '--port', 0),
        host: options.host,
        registrationTimeoutMs: positiveInteger(options.registrationTimeout, '--registration-timeout') * 1000,
        heartbeatTimeoutMs,
        // Shards send their folders here when they finish (pods have no shared disk): results/<run-id>/shards/<i>/.
        resultsDir: resultsRoot(),
      });
      let outcome: 'stopped' | Awaited<typeof coordinator.outcome>;
      try {
        process.stdout.write(`${JSON.stringify({ url: coordinator.url, runId: options.runId, shards: shardCount })}\n`);
        const stopped = new Promise<'stopped'>((resolve) => {
          if (context.signal.aborted) resolve('stopped');
          context.signal.addEventListener('abort', () => resolve('stopped'), { once: true });
        });
        outcome = await Promise.race([stopped, coordinator.outcome]);
        // The surviving shards stop at their next heartbeat and write their folders: merge after them.
        if (outcome !== 'stopped' && !outcome.ok) {
          ({ dead } = await coordinator.survivorsDone(2 * heartbeatTimeoutMs + 30_000));
        }
      } finally {
        await coordinator.close();
      }
      if (outcome === 'stopped') {
        process.exitCode = ExitCode.externalAbort;
        return;
      }
      if (!outcome.ok) log.error('coordinate', `distributed run invalid: ${outcome.reason}`);
      if (!options.merge) {
        process.exitCode = outcome.ok ? ExitCode.ok : ExitCode.invalidRun;
        return;
      }
      let merged: Awaited<ReturnType<typeof mergeShardRuns>>;
      try {
        merged = await mergeShardRuns(
          options.runId,
          outcome.ok ? { clickhouseUrl } : { abortReason: outcome.reason, deadShards: dead, clickhouseUrl },
        );
      } catch (error) {
        // An aborted run may have no shard folder at all (registration timeout): still invalid, not bad input.
        if (outcome.ok || !(error instanceof UserError)) throw error;
        log.error('coordinate', `nothing to merge: ${error.message}`);
        process.exitCode = ExitCode.invalidRun;
        return;
      }
      process.stdout.write(
        `${renderTerminalSummary(merged.summary, { reportPath: merged.reportPath, color: Boolean(process.stdout.isTTY), verdict: merged.verdict })}\n`,
      );
      process.exitCode = merged.exitCode;
      if (lingerMs > 0) {
        log.info('coordinate', `merged run in ${merged.dir}; staying up ${lingerMs / 1000} s (copy it now)`);
        await sleep(lingerMs, undefined, { signal: context.signal }).catch(() => {});
      }
    });
}
