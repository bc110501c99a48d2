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
import { runEngine } from './index.ts';
import { broadcastBenchWorkload, singleNodeTargets } from './subscribers/broadcast-bench.ts';

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
  const points: { t: number; rss: number; connected: number; cpu: number; delivered: number }[] = [];
  let phase = '';
  const steady = { cpuSeconds: 0, delivered: 0, seconds: 0 };
  let connectedPoint: { rss: number; connected: number } | undefined;
  const result = await runEngine(
    broadcastBenchWorkload({ subscribers, connectRate, workers, rate, duration, payloadBytes }),
    singleNodeTargets(node, stack.secrets),
    {
      onEvent(e) {
        if (e.kind === 'phase') phase = e.name;
        if (e.kind === 'phase' && e.name === 'publish') {
          publishStartedS = e.at;
          connectedPoint = points.at(-1);
        }
        if (e.kind === 'phase' && e.name === 'account') drainEndedS = e.at;
      },
      onPoint(p) {
        const delivered = p.counters.messages_delivered ?? 0;
        points.push({
          t: p.t,
          rss: p.generator.rssBytes,
          connected: p.gauges.subscribers_connected ?? 0,
          cpu: p.generator.cpu,
          delivered,
        });
        // Steady state: the publish and drain phases only (no worker start-up, no connection ramp).
        if (phase === 'publish' || phase === 'drain') {
          steady.cpuSeconds += p.generator.cpu;
          steady.delivered += delivered;
          steady.seconds++;
        }
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
  // RSS per connection: growth of the generator's RSS while connections were opened (first point of the
  // ramp → last point before publishing), over the connections opened in between.
  const first = points[0];
  const rssPerConnection =
    first && connectedPoint && connectedPoint.connected > first.connected
      ? Math.round((connectedPoint.rss - first.rss) / (connectedPoint.connected - first.connected))
      : null;
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
    windowS: Math.round(windowS * 10) / 10,
    latencyMs: latency && { p50: latency.med, p90: latency.p90, p99: latency.p99, max: latency.max },
    cpuSeconds: result.generator.cpuSeconds,
    cpuSecondsPerMillionDeliveries: delivered
      ? Math.round((result.generator.cpuSeconds / delivered) * 1e6 * 10) / 10
      : null,
    steady: {
      seconds: steady.seconds,
      generatorCores: Math.round((steady.cpuSeconds / Math.max(1, steady.seconds)) * 100) / 100,
      cpuSecondsPerMillionDeliveries: steady.delivered
        ? Math.round((steady.cpuSeconds / steady.delivered) * 1e6 * 10) / 10
        : null,
    },
    generatorRssBytesPeak: peakRss,
    generatorRssBytesConnected: connectedPoint?.rss ?? null,
    rssPerConnectionBytes: rssPerConnection,
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
});
