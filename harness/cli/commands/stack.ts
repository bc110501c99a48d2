import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { UserError } from '../../common/errors.ts';
import { ExitCode } from '../../common/exit-codes.ts';
import { log } from '../../common/log.ts';
import { resultsRoot } from '../../common/run-id.ts';
import { asFlag } from '../../common/validation.ts';
import { loadPlan } from '../../run/index.ts';
import {
  assertNotRunning,
  defaultStacksDir,
  ensureTools,
  type HolderCommand,
  holdStack,
  holdUntilStopped,
  listRunningStacks,
  parseStackSpec,
  readStackFile,
  type StackSpec,
  servicesFor,
  startDetached,
  startHeldStack,
  stopHeldStack,
} from '../../stack/index.ts';
import { type CommandContext, collect } from '../command-context.ts';

interface UpOptions {
  provider: string;
  engine: string;
  nodes: string;
  services: string;
  centrifugoPort?: string;
  name: string;
  json?: boolean;
  foreground?: boolean;
  stackFile?: string;
  allowRemoteTargets?: boolean;
  setup: boolean;
  scenario?: string;
  set: string[];
}

/** `--services`: all | none | a comma list. */
function serviceList(value: string): string[] {
  if (value === 'all') return ['postgres', 'redis', 'nats', 'clickhouse'];
  if (value === 'none') return [];
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function specFromOptions(options: UpOptions): StackSpec {
  const services = serviceList(options.services);
  const nodes = Number(options.nodes);
  return parseStackSpec(
    {
      provider: options.provider,
      engine: options.engine,
      nodes: Number.isInteger(nodes) ? nodes : options.nodes,
      services,
      centrifugoPorts: options.centrifugoPort ? [Number(options.centrifugoPort)] : undefined,
      stackFile: options.stackFile,
      allowRemoteTargets: options.allowRemoteTargets ?? false,
    },
    asFlag,
  );
}

function printEndpoints(name: string, file: string, json: boolean): void {
  const { stack } = readStackFile(file);
  if (json) {
    process.stdout.write(`${JSON.stringify({ ...stack, stackFile: file }, null, 2)}\n`);
    return;
  }
  const e = stack.endpoints;
  const lines = [`stack "${name}" is up (${stack.provider}, engine ${e.centrifugo.engine}); run id ${stack.runId}`];
  for (const node of e.centrifugo.nodes) lines.push(`  centrifugo ${node.name}  ${node.httpUrl}  ${node.wsUrl}`);
  if (e.postgres) lines.push(`  postgres           ${e.postgres.url}`);
  if (e.redis) lines.push(`  redis              ${e.redis.url}`);
  if (e.nats) lines.push(`  nats               ${e.nats.url}`);
  if (e.clickhouse) lines.push(`  clickhouse         ${e.clickhouse.url}`);
  if (e.chatApp) lines.push(`  chat app           ${e.chatApp.url}`);
  if (e.pushRelay) lines.push(`  push relay         ${e.pushRelay.url}`);
  if (e.pushSink) {
    lines.push(`  push sink (FCM)    ${e.pushSink.fcmUrl}`);
    lines.push(`  push sink (WebPush) ${e.pushSink.webPushUrl}  CA: ${e.pushSink.caFile}`);
  }
  lines.push(`  secrets (API key, HMAC secret, passwords): ${path.resolve(path.dirname(file), stack.secretsFile)}`);
  if (stack.logsDir) lines.push(`  logs: ${stack.logsDir}`);
  lines.push(`  stop it with: centrifugo-bench stack down${name === 'default' ? '' : ` --name ${name}`}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

/**
 * `stack up --scenario <file>`: the stack the scenario's `stack` section asks for — the chat app in its mode, the
 * push relay and sink with their options, the services its dataset or outputs need — so that shards (or any run)
 * can share it as an external stack. `--set` overrides the scenario as `run --set` does; the flags given
 * explicitly (`--provider`, `--engine`, `--nodes`) act as `--set stack.…` before them, `--services` adds to the
 * scenario's, `--centrifugo-port` fixes the first node's port.
 */
async function specFromScenario(options: UpOptions, given: (flag: string) => boolean): Promise<StackSpec> {
  const flags = (['provider', 'engine', 'nodes'] as const)
    .filter((flag) => given(flag))
    .map((flag) => `stack.${flag}=${options[flag]}`);
  const plan = await loadPlan(options.scenario!, { overrides: [...flags, ...options.set], report: false });
  if (plan.stack.provider === 'external') {
    throw new UserError(
      `stack up --scenario ${options.scenario}: its stack is external (${plan.stack.stackFile ?? 'no stack file'}), nothing to start; give --provider local or containers`,
    );
  }
  const services = new Set([...plan.stack.services, ...(given('services') ? serviceList(options.services) : [])]);
  const { stackFile: _none, ...stack } = plan.stack;
  return parseStackSpec(
    {
      ...stack,
      services: [...services],
      ...(options.centrifugoPort
        ? { centrifugoPorts: [Number(options.centrifugoPort), ...(stack.centrifugoPorts ?? []).slice(1)] }
        : {}),
    },
    asFlag,
  );
}

/** The detached holder is this CLI's hidden `stack hold` command, run by the same Node. */
const HOLDER: HolderCommand = {
  command: process.execPath,
  args: [fileURLToPath(new URL('../bin.mjs', import.meta.url)), 'stack', 'hold'],
};

export function registerStack(program: Command, context: CommandContext): void {
  const stack = program.command('stack').description('start, inspect and stop a stack that stays up between runs');
  const stacksDir = () => defaultStacksDir(resultsRoot());

  stack
    .command('up')
    .description('start the stack and keep it running; prints its endpoints (secrets go to a 0600 file)')
    .option('--provider <provider>', 'local | external | containers', 'local')
    .option('--engine <engine>', 'Centrifugo engine/broker: memory | redis | nats', 'memory')
    .option('--nodes <n>', 'Centrifugo nodes (more than one needs engine redis or nats)', '1')
    .option(
      '--services <list>',
      'extra services: all | none | comma list of postgres,redis,nats,clickhouse (default all; with --scenario: its own)',
      'all',
    )
    .option(
      '--scenario <file>',
      "start what the scenario's stack section asks for (chat app, push relay, push sink, …), e.g. for sharded runs",
    )
    .option(
      '--set <path=value>',
      'with --scenario: override a scenario field, as `run --set` (repeatable)',
      collect,
      [],
    )
    .option('--centrifugo-port <port>', 'port of the first Centrifugo node (default: a free port)')
    .option('--stack-file <file>', 'for --provider external: the stack file describing the deployment')
    .option(
      '--allow-remote-targets',
      'for --provider external: allow non-loopback URLs in the stack file (load and secrets go there)',
    )
    .option('--name <name>', 'name of this stack, to run several side by side', 'default')
    .option('--json', 'print the stack file (endpoints, versions; no secrets) as JSON')
    .option('--foreground', 'stay in the foreground; Ctrl-C stops the stack')
    .option('--no-setup', 'do not install missing programs; fail instead')
    .action(async (options: UpOptions, command: Command) => {
      if (options.set.length > 0 && !options.scenario) throw new UserError('stack up: --set needs --scenario <file>');
      const given = (flag: string) => command.getOptionValueSource(flag) === 'cli';
      const spec = options.scenario ? await specFromScenario(options, given) : specFromOptions(options);
      const dir = stacksDir();
      assertNotRunning(dir, options.name);
      if (spec.provider === 'local')
        await ensureTools(servicesFor(spec), { setup: options.setup, signal: context.signal });
      if (options.foreground) {
        const held = await startHeldStack(spec, options.name, dir, context.signal);
        printEndpoints(options.name, held.file, Boolean(options.json));
        const crash = await holdUntilStopped(held, context.signal);
        if (crash) process.exitCode = ExitCode.harnessError;
        // Ctrl-C is how a foreground stack is meant to stop: a clean stop, not an aborted run.
        if (process.exitCode === undefined) process.exitCode = ExitCode.ok;
        return;
      }
      const file = await startDetached(spec, options.name, dir, HOLDER, context.signal);
      printEndpoints(options.name, file, Boolean(options.json));
    });

  stack
    .command('hold', { hidden: true })
    .requiredOption('--name <name>')
    .requiredOption('--spec <json>')
    .action(async (options: { name: string; spec: string }) => {
      const crash = await holdStack(options.spec, options.name, stacksDir(), context.signal);
      if (crash) process.exitCode = ExitCode.harnessError;
    });

  stack
    .command('down')
    .description('stop a stack started with `stack up`; every process and temporary folder goes')
    .option('--name <name>', 'which stack', 'default')
    .action(async (options: { name: string }) => {
      const outcome = await stopHeldStack(stacksDir(), options.name);
      if (outcome === 'stale') {
        log.info('stack', `stack "${options.name}" was not running any more (stale stack file removed)`);
      } else {
        log.info('stack', `stack "${options.name}" stopped`);
      }
    });

  stack
    .command('status')
    .description('show the stacks started with `stack up`')
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }) => {
      const running = listRunningStacks(stacksDir());
      if (options.json) {
        process.stdout.write(
          `${JSON.stringify(
            running.map(({ file }) => readStackFile(file).stack),
            null,
            2,
          )}\n`,
        );
      } else if (running.length === 0) {
        process.stdout.write('no stack is running\n');
      } else {
        for (const { name, file } of running) printEndpoints(name, file, false);
      }
    });
}
