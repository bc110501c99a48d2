/**
 * What a cdc stack costs to start (JVMs are slow to start): brings up the stack of a mode `--runs` times, one
 * after another, and prints each start's wall time; the harness's own log line splits out Kafka and Kafka
 * Connect (`cdc chain: Kafka … ready in …s, Kafka Connect … task running in …s`). Another mode (`outbox`)
 * gives the same stack without the chain, for contrast.
 *
 *   node --import tsx harness/sut/chat-app/cdc-start.bench.ts [--mode cdc|api_cdc|outbox] [--engine memory|redis] [--runs 3]
 */
import { parseArgs } from 'node:util';
import { stackSpecForMode } from '../../stack/index.ts';
import { startTestStack } from '../../stack/testing.ts';
import type { BroadcastMode } from './modes.ts';

const { values } = parseArgs({
  options: {
    mode: { type: 'string', default: 'cdc' },
    engine: { type: 'string', default: 'memory' },
    runs: { type: 'string', default: '3' },
  },
});
const seconds: number[] = [];
for (let run = 1; run <= Number(values.runs); run++) {
  const started = performance.now();
  const stack = await startTestStack(
    stackSpecForMode(values.mode as BroadcastMode, values.engine as 'memory' | 'redis'),
  );
  seconds.push((performance.now() - started) / 1000);
  await stack.down();
  process.stdout.write(`run ${run}: stack up in ${seconds.at(-1)!.toFixed(1)}s\n`);
}
const sorted = [...seconds].sort((a, b) => a - b);
process.stdout.write(
  `${values.mode} / ${values.engine}: stack start median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(1)}s ` +
    `(min ${sorted[0]!.toFixed(1)}s, max ${sorted.at(-1)!.toFixed(1)}s, ${seconds.length} runs)\n`,
);
