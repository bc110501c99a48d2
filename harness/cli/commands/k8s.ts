import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../../common/errors.ts';
import { newRunId } from '../../common/run-id.ts';
import { buildManifests, DEFAULT_LINGER_S, manifestsToJson } from '../../distributed/index.ts';

interface ManifestOptions {
  shards: string;
  image: string;
  clickhouseUrl?: string;
  cpuPerShard: string;
  openFiles: string;
  runId?: string;
  output?: string;
  resultsPvc?: string;
  linger: string;
  registrationTimeout: string;
}

function positiveInteger(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UserError(`${flag} takes a positive integer, not "${value}"`);
  return n;
}

function nonNegativeInteger(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UserError(`${flag} takes an integer ≥ 0, not "${value}"`);
  return n;
}

/** `centrifugo-bench k8s manifest`: an Indexed Job + coordinator + scenario ConfigMap for `kubectl apply -f`. */
export function registerK8s(program: Command): void {
  const k8s = program.command('k8s').description('Kubernetes: manifests for a sharded run');
  k8s
    .command('manifest <scenario>')
    .description('write an Indexed Job (one pod per shard), the coordinator and the scenario as one kubectl document')
    .requiredOption('--shards <n>', 'number of shards (pods)')
    .option('--image <ref>', 'harness image (built from the Containerfile)', 'centrifugo-bench:latest')
    .option('--clickhouse-url <url>', 'ClickHouse every shard writes its rows to')
    .option('--cpu-per-shard <n>', 'cores requested per shard (worker processes)', '2')
    .option('--open-files <n>', 'open files each shard needs (from the fleet plan)', '20000')
    .option('--run-id <id>', 'run id shared by every shard (default: a new one)')
    .option('--results-pvc <name>', "PersistentVolumeClaim for the coordinator's results (default: an emptyDir)")
    .option('--linger <s>', 'seconds the coordinator stays up after merging, for kubectl cp', String(DEFAULT_LINGER_S))
    .option('--registration-timeout <s>', 'seconds for every shard pod to start, register and connect', '600')
    .option('-o, --output <file>', 'write here instead of stdout')
    .action((scenario: string, options: ManifestOptions) => {
      let scenarioSource: string;
      try {
        scenarioSource = readFileSync(scenario, 'utf8');
      } catch {
        throw new UserError(`no scenario file at ${scenario}`);
      }
      const document = manifestsToJson(
        buildManifests({
          runId: options.runId ?? newRunId(),
          scenarioName: path.basename(scenario),
          scenarioSource,
          shards: positiveInteger(options.shards, '--shards'),
          image: options.image,
          clickhouseUrl: options.clickhouseUrl,
          cpuPerShard: positiveInteger(options.cpuPerShard, '--cpu-per-shard'),
          openFilesPerShard: positiveInteger(options.openFiles, '--open-files'),
          resultsPvc: options.resultsPvc,
          lingerS: nonNegativeInteger(options.linger, '--linger'),
          registrationTimeoutS: positiveInteger(options.registrationTimeout, '--registration-timeout'),
        }),
      );
      if (options.output) writeFileSync(options.output, document);
      else process.stdout.write(document);
    });
}
