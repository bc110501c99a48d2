/**
 * The load drivers a plan can name, each turning the started stack's endpoints into its targets: the
 * WebSocket engine (subscribers and publishers) and the push flood. Both speak the driver contract
 * (engine/driver.ts), so the pipeline treats them alike.
 */
import { UserError } from '../common/errors.ts';
import { type DriverResult, describeWorkload, type EngineHooks, runEngine, runPushFlood } from '../engine/index.ts';
import type { Stack } from '../stack/index.ts';
import type { DriverKind, RunPlan } from './plan.ts';
import type { Seeded } from './seed.ts';

interface Driver {
  /** The plan lines printed before anything starts. */
  describe(plan: RunPlan): string[];
  run(plan: RunPlan, stack: Stack, seeded: Seeded, hooks: EngineHooks): Promise<DriverResult>;
}

const websocket: Driver = {
  describe: (plan) => describeWorkload(plan.scenario.workload!, { nodeCount: plan.stack.nodes }).split('\n'),

  run(plan, stack, seeded, hooks) {
    const base = plan.scenario.workload!;
    // With a dataset, the online users are the subscribers.
    const workload = seeded.audience
      ? { ...base, subscribers: { ...base.subscribers, count: seeded.audience.length } }
      : base;
    const centrifugo = stack.endpoints.centrifugo;
    return runEngine(
      workload,
      {
        audience: seeded.audience,
        targetOptions: seeded.targetOptions,
        centrifugo: {
          wsUrls: centrifugo.nodes.map((n) => n.wsUrl),
          apiUrls: centrifugo.nodes.map((n) => n.apiUrl),
          apiKey: stack.secrets.centrifugoApiKey,
          hmacSecret: stack.secrets.centrifugoHmacSecret,
        },
      },
      { ...hooks, faults: stack.faults },
    );
  },
};

const push: Driver = {
  describe(plan) {
    const flood = plan.scenario.push!;
    const rate = flood.pushes.rate === 'max' ? 'as fast as the API takes them' : `${flood.pushes.rate}/s`;
    return [
      `push flood (${flood.api}): ${flood.devices.count} devices (${Math.round(flood.devices.mix.fcm * 100)}% FCM, ` +
        `${Math.round(flood.devices.mix.webpush * 100)}% Web Push), ${flood.pushes.total} pushes ${rate}, ` +
        `sink faults: ${typeof flood.sinkFaults === 'string' ? flood.sinkFaults : 'custom profile'}`,
    ];
  },

  run(plan, stack, _seeded, hooks) {
    const flood = plan.scenario.push!;
    const { pushRelay, pushSink, centrifugo } = stack.endpoints;
    // The reference relay, or Centrifugo PRO's push API on its first node.
    const relayUrl = flood.api === 'relay' ? pushRelay?.url : centrifugo.nodes[0]?.httpUrl;
    if (!relayUrl) throw new UserError('push: the stack has no push API to send to');
    return runPushFlood(
      flood,
      {
        relayUrl,
        relayApiKey: stack.secrets.centrifugoApiKey,
        sinkControlUrl: pushSink?.controlUrl,
        caFile: pushSink?.caFile,
      },
      hooks,
    );
  },
};

export const DRIVERS: Record<DriverKind, Driver> = { websocket, push };
