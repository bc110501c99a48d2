/**
 * What actually generates load in a run, behind one shape: the WebSocket engine (subscribers and
 * publishers) or the push flood. Each turns the scenario and the stack's endpoints into its own targets
 * and returns the same result, so files, thresholds and reports do not care which one ran.
 */
import type { Scenario } from '../../scenarios/lib/scenario.ts';
import { UserError } from '../common/errors.ts';
import { log } from '../common/log.ts';
import type { MetricSummary, PushLedger, TimelineEvent, TimeseriesPoint } from '../common/summary-types.ts';
import {
  describeWorkload,
  type EngineHooks,
  type EngineProgress,
  type EngineResult,
  runEngine,
} from '../engine/index.ts';
import { runPushFlood } from '../engine/push/push-flood.ts';
import type { Stack, StackSpec } from '../stack/index.ts';
import { prepareDataset } from './run-dataset.ts';

export type DriverResult = EngineResult & { pushLedger?: PushLedger };

export interface DriverHooks extends Pick<EngineHooks, 'samples' | 'onSamples'> {
  signal: AbortSignal;
  onPoint(point: TimeseriesPoint): void;
  onEvent(event: TimelineEvent): void;
  onProgress(progress: EngineProgress): void;
  checkAbort?(metrics: Record<string, MetricSummary>): string | undefined;
}

/** The plan lines printed before anything starts. */
export function describeDriver(scenario: Scenario, stackSpec: StackSpec): string[] {
  if (scenario.workload) return describeWorkload(scenario.workload, { nodeCount: stackSpec.nodes }).split('\n');
  const push = scenario.push!;
  const rate = push.pushes.rate === 'max' ? 'as fast as the API takes them' : `${push.pushes.rate}/s`;
  return [
    `push flood (${push.api}): ${push.devices.count} devices (${Math.round(push.devices.mix.fcm * 100)}% FCM, ` +
      `${Math.round(push.devices.mix.webpush * 100)}% Web Push), ${push.pushes.total} pushes ${rate}, ` +
      `sink faults: ${typeof push.sinkFaults === 'string' ? push.sinkFaults : 'custom profile'}`,
  ];
}

/** Checks, before the stack starts, that the stack has what the driver will talk to. */
export function checkDriverNeeds(scenario: Scenario, stackSpec: StackSpec): void {
  if (scenario.push?.api === 'relay' && !stackSpec.pushRelay) {
    throw new UserError(
      'push.api: relay needs the reference push relay in the stack; set stack.pushRelay: {} and stack.pushSink: {}',
    );
  }
  if (scenario.push?.api === 'relay' && !stackSpec.pushSink) {
    throw new UserError('push: the relay sends to the push sink; set stack.pushSink: {}');
  }
}

export async function runDriver(scenario: Scenario, stack: Stack, hooks: DriverHooks): Promise<DriverResult> {
  if (scenario.push) return runPush(scenario, stack, hooks);
  return runWebSocketWorkload(scenario, stack, hooks);
}

async function runWebSocketWorkload(scenario: Scenario, stack: Stack, hooks: DriverHooks): Promise<DriverResult> {
  const { audience, targetOptions } = await prepareDataset(scenario, stack);
  const base = scenario.workload!;
  const workload = audience ? { ...base, subscribers: { ...base.subscribers, count: audience.length } } : base;
  return runEngine(
    workload,
    {
      audience,
      targetOptions,
      centrifugo: {
        wsUrls: stack.endpoints.centrifugo.nodes.map((n) => n.wsUrl),
        apiUrls: stack.endpoints.centrifugo.nodes.map((n) => n.apiUrl),
        apiKey: stack.secrets.centrifugoApiKey,
        hmacSecret: stack.secrets.centrifugoHmacSecret,
      },
    },
    { ...hooks, faults: stack.faults },
  );
}

async function runPush(scenario: Scenario, stack: Stack, hooks: DriverHooks): Promise<DriverResult> {
  const push = scenario.push!;
  const relayUrl = push.api === 'relay' ? stack.endpoints.pushRelay?.url : stack.endpoints.centrifugo.nodes[0]?.httpUrl;
  if (!relayUrl) throw new UserError('push: the stack has no push API to send to');
  const started = performance.now();
  const result = await runPushFlood(
    push,
    {
      relayUrl,
      relayApiKey: stack.secrets.centrifugoApiKey,
      sinkControlUrl: stack.endpoints.pushSink?.controlUrl,
      caFile: stack.endpoints.pushSink?.caFile,
    },
    {
      signal: hooks.signal,
      onPoint: hooks.onPoint,
      onEvent: hooks.onEvent,
      onProgress: (p) =>
        hooks.onProgress({
          phase: p.phase,
          connected: p.phase === 'register' ? p.registered : p.enqueued,
          target: p.phase === 'register' ? p.devices : p.total,
          publishedPerSec: p.enqueued / Math.max(1, (performance.now() - started) / 1000),
          deliveredPerSec: p.delivered / Math.max(1, (performance.now() - started) / 1000),
          p99Ms: null,
        }),
    },
  );
  const ledger = result.push_ledger;
  if (ledger.unaccounted !== 0) log.error('push', `ledger does not add up: ${ledger.unaccounted} pushes unaccounted`);
  return {
    ...result,
    aborted: hooks.signal.aborted ? { by: 'signal', reason: String(hooks.signal.reason ?? 'stopped') } : null,
    metrics: { ...result.metrics, pushes_unaccounted: { type: 'counter', count: ledger.unaccounted, rate: 0 } },
    pushLedger: ledger,
  };
}
