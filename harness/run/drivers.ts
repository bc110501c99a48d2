/**
 * The load drivers a plan can name, each turning the started stack's endpoints into its targets: the
 * WebSocket engine (subscribers and publishers) and the push flood. Both speak the driver contract
 * (engine/driver.ts), so the pipeline treats them alike.
 */
import { UserError } from '../common/errors.ts';
import type { PushLedger } from '../common/summary-types.ts';
import {
  type DriverResult,
  describeWorkload,
  type EngineHooks,
  runEngine,
  runPushFlood,
  synthesizeAudience,
} from '../engine/index.ts';
import type { Stack } from '../stack/index.ts';
import type { DriverKind, RunPlan } from './plan.ts';
import type { Seeded } from './seed.ts';
import { roomShare, sliceAudience, slicePushFlood, sliceWorkload, streamSharingFor } from './shard-slice.ts';

/** The engine's hooks, and what only a shard of a push flood uses: its session's estimate of the sink's clock. */
export type RunHooks = EngineHooks & { sinkClockOffset?: PushFloodShard['sinkClockOffset'] };

interface Driver {
  /** The plan lines printed before anything starts. */
  describe(plan: RunPlan): string[];
  run(plan: RunPlan, stack: Stack, seeded: Seeded, hooks: RunHooks): Promise<DriverResult>;
}

const websocket: Driver = {
  describe(plan) {
    const whole = plan.scenario.workload!;
    const { index, count } = plan.shard;
    if (count === 1) return describeWorkload(whole, { nodeCount: plan.stack.nodes }).split('\n');
    // A shard describes its own slice: users index ≡ shard (mod n), its part of the executor.
    const owned = whole.subscribers.count > index ? Math.floor((whole.subscribers.count - index - 1) / count) + 1 : 0;
    // With a dataset a shard publishes a range of the rooms; described from the dataset's rooms (the run slices
    // the rooms its online users owe: the same ones unless `online` leaves a room without a member online).
    const rooms = plan.scenario.dataset?.rooms.length ?? 0;
    const share = streamSharingFor(plan.scenario) === 'rooms' ? roomShare(rooms, plan.shard) : undefined;
    return [
      `shard ${index}/${count} of the run: its slice of the workload below` +
        (share ? `, rooms ${share.from + 1}..${share.to} of ${rooms}` : ''),
      ...describeWorkload(sliceWorkload(whole, plan.shard, owned, share), { nodeCount: plan.stack.nodes }).split('\n'),
    ];
  },

  run(plan, stack, seeded, hooks) {
    const base = plan.scenario.workload!;
    // With a dataset, the online users are the subscribers.
    let workload = seeded.audience
      ? { ...base, subscribers: { ...base.subscribers, count: seeded.audience.length } }
      : base;
    let audience = seeded.audience;
    let publishStreams: Record<string, string[]> | undefined;
    if (plan.shard.count > 1) {
      // A shard: its users, its part of the executor, its own copy of every stream or its range of a dataset's
      // rooms (run/shard-slice.ts).
      const whole =
        audience ?? synthesizeAudience(base.subscribers.count, base.publishers.target, base.subscribers.channel);
      const slice = sliceAudience(whole, plan.shard, streamSharingFor(plan.scenario));
      audience = slice.audience;
      publishStreams = slice.publishStreams;
      workload = sliceWorkload(workload, plan.shard, audience.length, slice.publishShare);
    }
    const centrifugo = stack.endpoints.centrifugo;
    return runEngine(
      workload,
      {
        audience,
        publishStreams,
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

/** A shard of a push flood (engine/push/flood-shard.ts), as runPushFlood takes it. */
type PushFloodShard = NonNullable<Parameters<typeof runPushFlood>[3]>;

const push: Driver = {
  describe(plan) {
    const whole = plan.scenario.push!;
    const { index, count } = plan.shard;
    const slice = count > 1 ? slicePushFlood(whole, plan.shard) : undefined;
    const flood = slice?.flood ?? whole;
    const shardLine = slice
      ? [
          `shard ${index}/${count} of the run: devices ${slice.devices.start}..${slice.devices.end - 1} of ` +
            `${whole.devices.count}, ${flood.pushes.total} of ${whole.pushes.total} pushes; sink stats and faults: shard 0`,
        ]
      : [];
    const rate = flood.pushes.rate === 'max' ? 'as fast as the API takes them' : `${flood.pushes.rate}/s`;
    return [
      ...shardLine,
      `push flood (${flood.api}): ${flood.devices.count} devices (${Math.round(flood.devices.mix.fcm * 100)}% FCM, ` +
        `${Math.round(flood.devices.mix.webpush * 100)}% Web Push), ${flood.pushes.total} pushes ${rate}, ` +
        `sink faults: ${typeof flood.sinkFaults === 'string' ? flood.sinkFaults : 'custom profile'}`,
    ];
  },

  run(plan, stack, _seeded, hooks) {
    const whole = plan.scenario.push!;
    const slice = plan.shard.count > 1 ? slicePushFlood(whole, plan.shard) : undefined;
    const flood = slice?.flood ?? whole;
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
      slice && pushShard(plan, slice.devices, hooks),
    );
  },
};

/**
 * A push flood shard's part in the distributed run: the session's start barrier, its exchange of what each
 * shard published — the coordinator hands any JSON per key to every shard, here each shard's ledger —, its
 * offset to the coordinator and its estimate of the sink's (engine/push/flood-shard.ts, "Time across machines").
 */
function pushShard(plan: RunPlan, devices: PushFloodShard['devices'], hooks: RunHooks): PushFloodShard {
  const { startBarrier, exchangePublished, sinkClockOffset } = hooks;
  if (!startBarrier || !exchangePublished || !sinkClockOffset)
    throw new Error('a push flood shard runs inside a shard session');
  // The exchange is typed for the engine's stream records; the coordinator stores whatever JSON it is given.
  const exchange = exchangePublished as unknown as (
    own: Record<string, PushLedger>,
  ) => Promise<Record<string, PushLedger>>;
  return {
    index: plan.shard.index,
    count: plan.shard.count,
    devices,
    startBarrier,
    exchangeLedgers: exchange,
    clockOffsetUs: hooks.clockOffsetUs ?? 0,
    sinkClockOffset,
  };
}

export const DRIVERS: Record<DriverKind, Driver> = { websocket, push };
