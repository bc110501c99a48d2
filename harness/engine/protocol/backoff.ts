/** Reconnect delays: exponential with full jitter (attempt 0 → up to minMs), capped at maxMs. */
export function backoffDelay(attempt: number, minMs: number, maxMs: number, random = Math.random): number {
  const ceiling = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 20));
  return Math.max(minMs / 2, Math.round(random() * ceiling));
}
