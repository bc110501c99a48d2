import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SaturationWatch } from '../honesty.ts';
import { encodeHistogram, newHistogram, trendValues } from '../metrics/histogram.ts';
import { buildPopulation } from './device-population.ts';
import { sinkFaultProfile } from './fault-variants.ts';
import { CumulativeHistogramDiff } from './histogram-diff.ts';
import { FLOOD_SATURATION_LIMITS } from './push-flood.ts';
import { PushFloodSchema, parsePushFlood, recipientsPerCall } from './push-flood-schema.ts';
import { accountFor, ledgerProgress } from './push-ledger.ts';
import type { SinkControl } from './sink-control.ts';

const apiLedger = {
  pushes: 100,
  fanout_pending: 0,
  scheduled: 0,
  enqueued: 100,
  delivered: 90,
  failed: { unregistered: 6, expired: 4 },
  queued: 0,
  retries: 12,
  unaccounted: 0,
};

describe('accountFor', () => {
  it('passes an exact ledger through with unaccounted 0', () => {
    assert.deepEqual(
      accountFor({ source: 'api', api: apiLedger, accepted: 100, expectedTargets: 100, sinkReceipts: 90 }),
      {
        enqueued: 100,
        delivered: 90,
        failed: { unregistered: 6, expired: 4 },
        queued: 0,
        unaccounted: 0,
      },
    );
  });

  it('counts every independent mismatch as unaccounted', () => {
    // 2 pushes acknowledged but unknown to the ledger.
    assert.equal(accountFor({ source: 'api', api: apiLedger, accepted: 102 }).unaccounted, 2);
    // Counters that do not add up (a message settled nowhere).
    assert.equal(accountFor({ source: 'api', api: { ...apiLedger, delivered: 89 }, accepted: 100 }).unaccounted, 1);
    // Raw tokens enqueued that never became device messages.
    assert.equal(accountFor({ source: 'api', api: apiLedger, accepted: 100, expectedTargets: 103 }).unaccounted, 3);
    // Deliveries the sink never receipted.
    assert.equal(accountFor({ source: 'api', api: apiLedger, accepted: 100, sinkReceipts: 85 }).unaccounted, 5);
  });

  it('subtracts a baseline and counts pushes not fanned out yet as queued units', () => {
    const baseline = { ...apiLedger, failed: { unregistered: 6 }, delivered: 50, enqueued: 56, pushes: 56 };
    const now = {
      ...apiLedger,
      pushes: 120,
      fanout_pending: 3,
      enqueued: 150,
      delivered: 120,
      queued: 20,
      failed: { unregistered: 10 },
    };
    assert.deepEqual(accountFor({ source: 'api', api: now, baseline, accepted: 64 }), {
      enqueued: 97,
      delivered: 70,
      failed: { unregistered: 4 },
      queued: 23,
      unaccounted: 0,
    });
  });

  it('knows only deliveries from sink receipts, and nothing without a ledger', () => {
    assert.deepEqual(accountFor({ source: 'sink', accepted: 10, expectedTargets: 20, sinkReceipts: 18 }), {
      enqueued: 20,
      delivered: 18,
      failed: {},
      queued: 2,
      unaccounted: 0,
    });
    assert.equal(accountFor({ source: 'none', accepted: 10 }).queued, 10);
  });
});

describe('ledgerProgress', () => {
  it('follows the run net of the baseline: depth counts pushes not fanned out, pending adds scheduled ones', () => {
    const baseline = { ...apiLedger, scope: 'all', cancelled: 0, no_recipients: 0 };
    const now = {
      ...baseline,
      pushes: 130,
      fanout_pending: 3,
      scheduled: 2,
      delivered: 110,
      failed: { unregistered: 8, expired: 4, dead_token: 1 },
      queued: 7,
      retries: 15,
    };
    assert.deepEqual(ledgerProgress(now, baseline), {
      pushes: 30,
      delivered: 20,
      failed: 3,
      depth: 10,
      pending: 12,
      retries: 3,
    });
    assert.equal(ledgerProgress(now, undefined).depth, 10);
  });
});

describe('FLOOD_SATURATION_LIMITS', () => {
  it('invalidates on any one second of event-loop delay p99 above 240 ms, never on CPU', () => {
    const sample = (loop: number, cpu: number) => ({ cpu, cpuSeconds: cpu, eventLoopDelayP99Ms: loop, rssBytes: 0 });
    const watch = new SaturationWatch(FLOOD_SATURATION_LIMITS);
    watch.observe('push flood', sample(240, 1), 1, true);
    watch.observe('push flood', sample(5, 4), 2, true);
    assert.deepEqual(watch.reasons, []);
    watch.observe('push flood', sample(241, 0.1), 3, true);
    watch.observe('push flood', sample(5, 0.1), 4, true);
    const reasons = watch.finish();
    assert.equal(reasons.length, 1);
    assert.match(reasons[0]!, /^push flood: event-loop delay p99 above 240 ms for 1 s in a row \(peak 241 ms at 3 s\)/);
  });
});

describe('PushFloodSchema', () => {
  it('defaults to a million pushes over 100,000 devices', () => {
    const flood = PushFloodSchema.parse({});
    assert.equal(flood.pushes.total, 1_000_000);
    assert.equal(flood.devices.count, 100_000);
    assert.deepEqual(flood.pushes.recipients, { kind: 'token', count: 'auto' });
  });

  it('refuses unknown fields and bad values, naming them', () => {
    assert.equal(PushFloodSchema.safeParse({ pushes: { totl: 5 } }).success, false);
    const bad = PushFloodSchema.safeParse({ pushes: { rate: -1 } });
    assert.equal(bad.success, false);
    assert.deepEqual(bad.error?.issues[0]?.path, ['pushes', 'rate']);
    assert.equal(PushFloodSchema.safeParse({ devices: { mix: { fcm: 0, webpush: 0 } } }).success, false);
  });

  it('parsePushFlood names the bad field as push.<path>', () => {
    assert.throws(
      () => parsePushFlood({ pushes: { rate: -1 } }),
      /^UserError: invalid push flood: push\.pushes\.rate: /,
    );
    assert.equal(parsePushFlood({ pushes: { total: 5 } }).pushes.total, 5);
  });
});

describe('recipientsPerCall', () => {
  const pushes = (input: object) => parsePushFlood({ pushes: input }).pushes;

  it('packs 500 device messages into a call at max rate, 10 ms of the schedule at a fixed rate', () => {
    assert.equal(recipientsPerCall(pushes({})), 500);
    assert.equal(recipientsPerCall(pushes({ rate: 200 })), 2);
    assert.equal(recipientsPerCall(pushes({ rate: 50 })), 1);
    assert.equal(recipientsPerCall(pushes({ rate: 1_000_000 })), 500);
    assert.equal(recipientsPerCall(pushes({ recipients: { kind: 'device', count: 7 } })), 7);
    assert.equal(recipientsPerCall(pushes({ recipients: { kind: 'token', count: 1 } })), 1);
    // A topic call is one unit whatever its topics resolve to.
    assert.equal(recipientsPerCall(pushes({ recipients: { kind: 'topic', count: 3 } })), 1);
  });
});

describe('sinkFaultProfile', () => {
  it('turns variants into sink fault profiles', () => {
    const storm = sinkFaultProfile(
      PushFloodSchema.parse({ sinkFaults: '429-storm', faultWindow: { startS: 1, durationS: 3 } }),
    );
    assert.deepEqual(storm.windows, [
      { startSeconds: 1, durationSeconds: 3, provider: 'all', status: 429, probability: 1, retryAfterSeconds: 1 },
    ]);
    assert.equal(sinkFaultProfile(PushFloodSchema.parse({ sinkFaults: '503-outage' })).windows?.[0]?.status, 503);
    assert.deepEqual(sinkFaultProfile(PushFloodSchema.parse({ sinkFaults: 'dead-tokens', deadFraction: 0.1 })), {
      deadFraction: { fcm: 0.1, webpush: 0.1 },
    });
  });
});

describe('CumulativeHistogramDiff', () => {
  it('recovers each second from cumulative snapshots', () => {
    const cumulative = newHistogram();
    const diff = new CumulativeHistogramDiff();
    for (const v of [1000, 2000]) cumulative.recordValue(v);
    assert.equal(diff.next(encodeHistogram(cumulative))!.totalCount, 2);
    for (const v of [50_000, 60_000, 70_000]) cumulative.recordValue(v);
    const second = diff.next(encodeHistogram(cumulative))!;
    assert.equal(second.totalCount, 3);
    assert.ok(Math.abs(trendValues(second).min - 50) < 0.1, 'values of the first second are gone');
    assert.equal(diff.next(undefined), undefined);
  });
});

describe('buildPopulation', () => {
  it('interleaves the provider mix, spreads topics and is reproducible from its seed', async () => {
    const config = PushFloodSchema.parse({
      devices: { count: 1000, mix: { fcm: 3, webpush: 1 }, topics: { count: 10, perDevice: 3 } },
    }).devices;
    const a = await buildPopulation(config, undefined);
    const b = await buildPopulation(config, undefined);
    assert.equal(a.byProvider.fcm.length, 750);
    assert.equal(a.byProvider.webpush.length, 250);
    // Interleaved: every window of 4 devices has exactly one Web Push device.
    for (let i = 0; i < 1000; i += 4) {
      assert.equal(a.devices.slice(i, i + 4).filter((d) => d.provider === 'webpush').length, 1);
    }
    assert.ok(a.devices.every((d) => new Set(d.topics).size === 3));
    assert.deepEqual(
      a.devices.map((d) => [d.user, d.topics, d.platform]),
      b.devices.map((d) => [d.user, d.topics, d.platform]),
    );
    assert.ok(a.devices.filter((d) => d.provider === 'webpush').every((d) => JSON.parse(d.token).keys.p256dh));
  });
});

describe('buildPopulation, sliced for shards', () => {
  it('the shards’ device ranges partition the population: the same devices, the same tokens, each once', async () => {
    const config = PushFloodSchema.parse({
      devices: { count: 1001, mix: { fcm: 0.8, webpush: 0.2 }, topics: { count: 50, perDevice: 2 } },
    }).devices;
    // A sink mints tokens by index (the same index, the same token): this one says which index it minted.
    const sink = {
      fcmTokens: async (start: number, count: number) => Array.from({ length: count }, (_, k) => `fcm-${start + k}`),
      webPushSubscriptions: async (start: number, count: number) =>
        Array.from({ length: count }, (_, k) => ({
          endpoint: `wp-${start + k}`,
          expirationTime: null,
          keys: { p256dh: 'p', auth: 'a' },
        })),
    } as unknown as SinkControl;
    const whole = await buildPopulation(config, sink);
    const ranges = [
      { start: 0, end: 333 },
      { start: 333, end: 667 },
      { start: 667, end: 1001 },
    ];
    const slices = await Promise.all(ranges.map((range) => buildPopulation(config, sink, range)));
    assert.deepEqual(
      slices.flatMap((slice) => slice.devices),
      whole.devices,
    );
    for (const slice of slices) {
      // byProvider indexes the slice's own devices.
      for (const provider of ['fcm', 'webpush'] as const) {
        assert.ok(slice.byProvider[provider].every((i) => slice.devices[i]!.provider === provider));
      }
      assert.equal(slice.byProvider.fcm.length + slice.byProvider.webpush.length, slice.devices.length);
    }
    assert.equal(new Set(whole.devices.map((d) => d.token)).size, 1001, 'no token twice');
  });
});
