import { BlockList, isIP } from 'node:net';
import { UserError } from './errors.ts';

/**
 * The loopback rule, in one place: the harness sends load, API keys and results only to this machine
 * unless the user opts in. 0.0.0.0 and :: are not loopback targets: they mean "any address" to a
 * listener, and where a connection to them goes depends on the operating system.
 */
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6'); // BlockList also matches IPv4-mapped addresses (::ffff:127.0.0.1) by their IPv4 rule

/** How a user opts in, as a scenario says it; callers with another way (a command's flag) pass their own. */
export const ALLOW_REMOTE_IN_SCENARIO =
  'set stack.allowRemoteTargets: true in the scenario (or run --set stack.allowRemoteTargets=true; stack up --allow-remote-targets)';

/** A URL the harness will connect to, and the name of the field it came from (`endpoints.chatApp.url`). */
export interface TargetUrl {
  name: string;
  url: string;
}

/** 127.0.0.0/8, ::1 (with or without brackets) and `localhost`; every other name or address is remote. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (bare === 'localhost') return true;
  const family = isIP(bare);
  return family !== 0 && LOOPBACK.check(bare, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * The hosts a URL connects to: its host, and any `host` query parameter (PostgreSQL and Redis clients take
 * the host from `?host=` too, so a loopback host with `?host=10.0.0.1` would otherwise slip through).
 * A `host` that is a path is a Unix socket, on this machine by definition.
 */
function hostsOf(url: string): string[] | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const fromQuery = parsed.searchParams.getAll('host').filter((h) => !h.startsWith('/'));
  const socketOnly = !parsed.hostname && parsed.searchParams.getAll('host').some((h) => h.startsWith('/'));
  return socketOnly ? fromQuery : [parsed.hostname, ...fromQuery];
}

/**
 * Refuses, with one UserError (exit 2), any URL whose host is not loopback, unless `allowRemote`: the
 * message names every offending field and its host, and how to opt in. A value that is not a URL is refused
 * even with `allowRemote`. Call it before connecting anywhere.
 */
export function checkTargetUrls(
  urls: readonly TargetUrl[],
  allowRemote: boolean,
  howToAllow: string = ALLOW_REMOTE_IN_SCENARIO,
): void {
  const invalid: string[] = [];
  const remote: string[] = [];
  for (const { name, url } of urls) {
    const hosts = hostsOf(url);
    if (!hosts) invalid.push(name);
    for (const host of hosts ?? []) {
      if (!isLoopbackHost(host)) remote.push(`${name} → ${host || '(no host)'}`);
    }
  }
  // Not even a URL: nothing can be said about where it goes, so it goes nowhere, opted in or not.
  if (invalid.length > 0) throw new UserError(`not a URL: ${invalid.join(', ')}`);
  if (remote.length === 0 || allowRemote) return;
  throw new UserError(
    `non-loopback target${remote.length > 1 ? 's' : ''}: ${remote.join(', ')}; the harness sends load, API keys ` +
      `and results only to 127.0.0.0/8, ::1 or localhost (0.0.0.0 and :: mean "any address", not a target) — ` +
      `to send there on purpose, ${howToAllow}`,
  );
}
