/**
 * Durations as k6 writes them (Go's time.ParseDuration subset): "10s", "500ms", "1m30s", "1.5h", "0".
 * Returns seconds, or null when the text is not a duration.
 */
const UNIT_S = { ms: 0.001, s: 1, m: 60, h: 3600 } as const;
const WHOLE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;

export function parseDurationS(text: string): number | null {
  const trimmed = text.trim();
  if (trimmed === '0') return 0;
  if (!WHOLE.test(trimmed)) return null;
  let total = 0;
  for (const match of trimmed.matchAll(PART)) {
    total += Number(match[1]) * UNIT_S[match[2] as keyof typeof UNIT_S];
  }
  return total;
}
