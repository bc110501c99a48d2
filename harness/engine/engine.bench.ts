/**
 * Macro benchmark of the engine against a real local stack: N subscribers on personal channels, a
 * constant-arrival-rate broadcast to all of them, then the generator's own figures.
 *
 *   node --import tsx harness/engine/engine.bench.ts
 *   SUBSCRIBERS=10000 WORKERS=2 RATE=2 DURATION=30s node --import tsx harness/engine/engine.bench.ts
 *
 * Prints delivered msgs/s (publish + drain window), delivery latency p50/p99, CPU-seconds per million
 * deliveries and RSS per connection (subscriber workers' peak RSS over their idle baseline).
 */
import { withStack } from '../stack/testing.ts';
import { parseDuration } from './duration.ts';
import { runEngine } from './index.ts';

const subscribers = Number(process.env.SUBSCRIBERS ?? 1000);
const rate = Number(process.env.RATE ?? 5);
const duration = process.env.DURATION ?? '10s';
const workers = process.env.WORKERS === undefined ? 'auto' : Number(process.env.WORKERS);
const connectRate = Number(process.env.CONNECT_RATE ?? 1000);
const payloadBytes = Number(process.env.PAYLOAD_BYTES ?? 128);

await withStack({ engine: 'memory', nodes: 1, centrifugo: { logLevel: 'warn' } }, async (stack) => {
  const node = stack.endpoints.centrifugo.nodes[0]!;
  let publishStartedS = 0;
  let drainEndedS = 0;
  let idleRss = 0;
  const points: { t: number; rss: number }[] = [];
  const result = await runEngine(
    {
      subscribers: { count: subscribers, connectRate, workers },
      publishers: {
        executor: 'constant-arrival-rate',
        rate,
        duration,
        preAllocatedVUs: 20,
        maxVUs: 100,
        payloadBytes,
      },
      drain: '5s',
    },
    {
      centrifugo: {
        wsUrls: [node.wsUrl],
        apiUrls: [node.apiUrl],
        apiKey: stack.secrets.centrifugoApiKey,
        hmacSecret: stack.secrets.centrifugoHmacSecret,
      },
    },
    {
      onEvent(e) {
        if (e.kind === 'phase' && e.name === 'publish') {
          publishStartedS = e.at;
          idleRss = points.at(-1)?.rss ?? 0;
        }
        if (e.kind === 'phase' && e.name === 'account') drainEndedS = e.at;
      },
      onPoint(p) {
        points.push({ t: p.t, rss: p.generator.rssBytes });
      },
      onProgress(p) {
        process.stderr.write(
          `  ${p.phase.padEnd(8)} connected ${p.connected}/${p.target} published/s ${p.publishedPerSec} ` +
            `delivered/s ${p.deliveredPerSec} p99 ${p.p99Ms ?? '-'} ms\n`,
        );
      },
    },
  );
  const m = result.metrics;
  const count = (name: string) => (m[name]?.type === 'counter' ? m[name].count : 0);
  const delivered = count('messages_delivered');
  const latency = m.delivery_latency?.type === 'trend' ? m.delivery_latency : undefined;
  const windowS = Math.max(1, drainEndedS - publishStartedS);
  const peakRss = result.generator.peakRssBytes;
  const figures = {
    subscribers,
    workers: result.generator.workers,
    ratePerS: rate,
    duration,
    published: count('messages_published'),
    expected: count('messages_expected'),
    delivered,
    lost: count('messages_lost'),
    duplicated: count('messages_duplicated'),
    deliveredPerS: Math.round(delivered / windowS),
    windowS,
    latencyMs: latency && { p50: latency.med, p90: latency.p90, p99: latency.p99, max: latency.max },
    cpuSeconds: result.generator.cpuSeconds,
    cpuSecondsPerMillionDeliveries: delivered
      ? Math.round((result.generator.cpuSeconds / delivered) * 1e6 * 10) / 10
      : null,
    generatorRssBytesPeak: peakRss,
    generatorRssBytesIdleConnected: idleRss,
    rssPerConnectionBytes: subscribers ? Math.round(idleRss / subscribers) : null,
    maxEventLoopDelayP99Ms: result.generator.maxEventLoopDelayP99Ms,
    valid: result.valid,
    invalidReasons: result.invalidReasons,
    aborted: result.aborted,
    errorsByCode: result.errorsByCode,
    trends: process.env.VERBOSE
      ? Object.fromEntries(Object.entries(m).filter(([, v]) => v.type === 'trend'))
      : undefined,
  };
  console.log(JSON.stringify(figures, null, 2));
  void parseDuration;
});
