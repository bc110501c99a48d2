/** A tiny ops/s runner for the `*.bench.ts` micro-benchmarks (warm-up, then timed rounds, best round). */
export function bench(name: string, fn: (i: number) => void, iterations = 1_000_000, rounds = 5): number {
  for (let i = 0; i < Math.min(iterations, 100_000); i++) fn(i); // warm-up: let the JIT settle
  let best = 0;
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) fn(i);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    best = Math.max(best, iterations / seconds);
  }
  console.log(`${name.padEnd(60)} ${Math.round(best).toLocaleString('en-US').padStart(14)} ops/s`);
  return best;
}
