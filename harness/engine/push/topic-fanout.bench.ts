/**
 * Topic fan-out: one `send_push_notification` to a topic of N devices (GrandChat's push appendix: one call per
 * room message), repeated; for each call the time from the call to the **last** sink receipt of its devices, and
 * to the relay's ledger reading it settled. Prints one JSON line: p50 / p99 / max over the calls, the ledger, and
 * EXPLAIN ANALYZE timings of one fan-out page in the relay's topic form and in the generic filter form it replaced.
 *
 *   node --import tsx harness/engine/push/topic-fanout.bench.ts --devices 100000 --topic-devices 10000 --calls 30
 *
 * Calls go one at a time (the previous one fully received first), so each measures the fan-out itself, not a
 * queue. The population is the flood's (80 % FCM / 20 % Web Push, 2 of 1,000 topics per device); every
 * (devices / topic-devices)-th device also has the topic `fanout-topic`. Like the flood bench it imports the stack.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { monoUs } from '../../common/mono-clock.ts';
import { withStack } from '../../stack/testing.ts';
import { devicesByIdQuery, filterPageQuery, topicCandidatesQuery } from '../../sut/push-relay/testing.ts';
import { buildPopulation, registerPopulation } from './device-population.ts';
import { PushApi } from './push-api.ts';
import { parsePushFlood } from './push-flood.ts';
import { SinkControl } from './sink-control.ts';

const { values } = parseArgs({
  options: {
    devices: { type: 'string', default: '100000' },
    'topic-devices': { type: 'string', default: '10000' },
    calls: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '2' },
    'webpush-share': { type: 'string', default: '0.2' },
    'worker-processes': { type: 'string', default: 'auto' },
    'decrypt-sample': { type: 'string', default: '0.01' },
  },
});
const devices = Number(values.devices);
const topicDevices = Number(values['topic-devices']);
const calls = Number(values.calls);
const warmup = Number(values.warmup);
const share = Number(values['webpush-share']);
const TOPIC = 'fanout-topic';
const PAGE = 1000; // the relay's default fanoutPageSize

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
const round = (ms: number) => Math.round(ms * 10) / 10;

await withStack(
  {
    pushSink: { workers: 1, webPush: { decryptSampleRate: Number(values['decrypt-sample']) } },
    pushRelay: {
      workerProcesses: values['worker-processes'] === 'auto' ? 'auto' : Number(values['worker-processes']),
    },
  },
  async (stack) => {
    const sinkEndpoints = stack.endpoints.pushSink!;
    const sink = new SinkControl(sinkEndpoints.controlUrl!, sinkEndpoints.caFile);
    const api = new PushApi(stack.endpoints.pushRelay!.url, stack.secrets.centrifugoApiKey);
    const flood = parsePushFlood({ devices: { count: devices, mix: { fcm: 1 - share, webpush: share } } });
    const population = await buildPopulation(flood.devices, sink);
    const every = Math.max(1, Math.floor(devices / topicDevices));
    let inTopic = 0;
    for (let i = 0; i < devices && inTopic < topicDevices; i += every, inTopic++)
      population.devices[i]!.topics.push(TOPIC);
    const registerStart = performance.now();
    await registerPopulation(api, population, { bulk: true, batch: flood.devices.registrationBatch });
    const registerS = (performance.now() - registerStart) / 1000;

    // EXPLAIN ANALYZE of a middle page of the topic (the generic form's cost grows with the cursor).
    const db = new pg.Client({ connectionString: stack.endpoints.postgres!.url });
    await db.connect();
    await db.query('ANALYZE');
    const ids = (
      await db.query<{ device_id: string }>(
        'SELECT device_id FROM push_device_topics WHERE topic = $1 ORDER BY device_id',
        [TOPIC],
      )
    ).rows.map((r) => r.device_id);
    const middle = ids[Math.floor(ids.length / 2)] ?? '';
    const explain = async (query: { text: string; values: unknown[] }) => {
      const rows = await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${query.text}`, query.values);
      // The device ids of a page are a 1,000-element array literal: cut long lines to keep the plans readable.
      const plan = rows.rows.map((r) =>
        r['QUERY PLAN'].length > 200 ? `${r['QUERY PLAN'].slice(0, 200)}…` : r['QUERY PLAN'],
      );
      const ms = Number(/Execution Time: ([\d.]+) ms/.exec(plan.join('\n'))?.[1]);
      return { plan, ms };
    };
    const filter = { topics: [TOPIC] };
    const providers = ['fcm', 'webpush'] as ('fcm' | 'webpush')[];
    /** One fan-out page after `cursor`: the generic form is one query, the topic form two (candidates, devices). */
    const forms = {
      'generic (before)': async (cursor: string) => [await explain(filterPageQuery(filter, providers, cursor, PAGE))],
      'topic indexes (now)': async (cursor: string) => {
        const candidates = topicCandidatesQuery([TOPIC], cursor, PAGE);
        const ids = (await db.query<{ id: string }>(candidates)).rows.map((r) => r.id);
        return [await explain(candidates), await explain(devicesByIdQuery(filter, providers, ids))];
      },
    };
    const explained: Record<string, { firstPageMs: number; middlePageMs: number; plan: string[] }> = {};
    for (const [name, page] of Object.entries(forms)) {
      await page(''); // warm the cache
      const first = await page('');
      const mid = await page(middle);
      const sum = (steps: { ms: number }[]) => Math.round(steps.reduce((a, s) => a + s.ms, 0) * 100) / 100;
      explained[name] = { firstPageMs: sum(first), middlePageMs: sum(mid), plan: mid.flatMap((s) => [...s.plan, '']) };
    }
    await db.end();
    for (const [name, e] of Object.entries(explained)) {
      process.stderr.write(`\n-- ${name}, page after the topic's middle device:\n${e.plan.join('\n')}\n`);
    }

    const lastReceiptMs: number[] = [];
    const settledMs: number[] = [];
    const ledger = { enqueued: 0, delivered: 0, failed: 0 };
    const runTag = `fanout-${Date.now().toString(36)}`;
    for (let call = 0; call < warmup + calls; call++) {
      const uid = `${runTag}-${call}`;
      const t0 = monoUs();
      const benchT = String(Math.round(t0));
      await api.must('send_push_notification', {
        uid,
        recipient: { filter: { topics: [TOPIC] } },
        notification: {
          fcm: { message: { notification: { title: 'room', body: 'x'.repeat(200) }, data: { bench_t: benchT } } },
          webpush: { headers: { TTL: '60', 'X-Bench-T': benchT }, payload: { title: 'room', body: 'x'.repeat(200) } },
        },
      });
      let entry: {
        status: string;
        enqueued: number;
        delivered: number;
        failed: Record<string, number>;
        queued: number;
      };
      for (;;) {
        entry = await api.must('push_ledger', { uid });
        if (entry.status === 'done' && entry.queued === 0) break;
        await new Promise((r) => setTimeout(r, 5));
      }
      const settled = (monoUs() - t0) / 1000;
      let receipts: { acceptedUs: number }[] = [];
      for (let tries = 0; tries < 200; tries++) {
        receipts = (await sink.receipts([uid])).receipts;
        if (receipts.length >= entry.delivered) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      if (call < warmup) continue;
      const last = Math.max(...receipts.map((r) => r.acceptedUs));
      lastReceiptMs.push((last - t0) / 1000);
      settledMs.push(settled);
      ledger.enqueued += entry.enqueued;
      ledger.delivered += entry.delivered;
      ledger.failed += Object.values(entry.failed).reduce((a, b) => a + b, 0);
      if (entry.enqueued !== inTopic || receipts.length !== entry.delivered) {
        throw new Error(
          `${uid}: ${entry.enqueued} enqueued, ${receipts.length} receipts, ${inTopic} devices in the topic`,
        );
      }
    }
    const sortedReceipt = [...lastReceiptMs].sort((a, b) => a - b);
    const sortedSettled = [...settledMs].sort((a, b) => a - b);
    console.log(
      JSON.stringify({
        machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, loadavg: os.loadavg().map((l) => l.toFixed(2)) },
        args: values,
        topicDevices: inTopic,
        registerS: round(registerS),
        calls,
        callToLastReceiptMs: {
          p50: round(percentile(sortedReceipt, 50)),
          p99: round(percentile(sortedReceipt, 99)),
          max: round(sortedReceipt.at(-1)!),
        },
        callToLedgerSettledMs: { p50: round(percentile(sortedSettled, 50)), p99: round(percentile(sortedSettled, 99)) },
        ledger,
        explainPageMs: Object.fromEntries(
          Object.entries(explained).map(([name, e]) => [name, { first: e.firstPageMs, middle: e.middlePageMs }]),
        ),
      }),
    );
    await sink.close();
    await api.close();
  },
);
