/** What every command gets from main.ts, and the option parsers several commands share. */
export interface CommandContext {
  /** Aborted on the first SIGINT/SIGTERM: commands stop what they do and tear down. */
  signal: AbortSignal;
}

/** commander's collector for a repeatable option (`--set a=1 --set b=2`). */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/**
 * `--provider containers` is `--set stack.provider=containers`, put first so that an explicit `--set` of the same
 * field still wins; the scenario schema validates the value (a wrong one: exit 2 naming the allowed ones).
 */
export function withProvider(provider: string | undefined, overrides: string[]): string[] {
  return provider === undefined ? overrides : [`stack.provider=${provider}`, ...overrides];
}
