import { UserError } from '../../common/errors.ts';
import { log } from '../../common/log.ts';
import type { StackEndpoints } from '../../common/stack-types.ts';
import { withPassword } from '../../common/urls.ts';
import type { Stack, StackStartOptions } from '../stack.ts';
import { readStackFile } from '../stack-file.ts';
import type { StackSpec } from '../stack-spec.ts';

const LOOPBACK = /^(127(?:\.\d{1,3}){3}|localhost|\[?::1\]?)$/i;

/** Every host the run would send traffic to. */
function targetHosts(endpoints: StackEndpoints): string[] {
  const urls = [
    ...endpoints.centrifugo.nodes.flatMap((n) => [n.httpUrl, n.wsUrl]),
    endpoints.postgres?.url,
    endpoints.redis?.url,
    endpoints.nats?.url,
    endpoints.clickhouse?.url,
    endpoints.chatApp?.url,
    endpoints.pushRelay?.url,
  ].filter((u): u is string => Boolean(u));
  return urls.map((u) => new URL(u).hostname);
}

/**
 * A stack somebody else runs: `stack up` in another terminal, docker-compose.yml, or a staging
 * deployment described by a hand-written stack file. The harness starts and stops nothing, and
 * sends load to loopback addresses only unless `allowRemoteTargets` says otherwise.
 */
export async function startExternalStack(spec: StackSpec, options: StackStartOptions): Promise<Stack> {
  const { stack, secrets } = readStackFile(spec.stackFile!);
  // Stack files hold URLs without passwords; the secrets file has them.
  const endpoints: StackEndpoints = {
    ...stack.endpoints,
    postgres: stack.endpoints.postgres && { url: withPassword(stack.endpoints.postgres.url, secrets.postgresPassword) },
    redis: stack.endpoints.redis && { url: withPassword(stack.endpoints.redis.url, secrets.redisPassword) },
  };
  const remote = targetHosts(endpoints).filter((h) => !LOOPBACK.test(h));
  if (remote.length > 0 && !spec.allowRemoteTargets) {
    throw new UserError(
      `the stack file points at non-loopback hosts (${[...new Set(remote)].join(', ')}); load goes only to ` +
        `127.0.0.1/::1 unless you opt in with allowRemoteTargets: true (--allow-remote)`,
    );
  }
  const unsupported = (what: string) => async () => {
    throw new UserError(`${what} needs a stack the harness controls; provider external cannot do it`);
  };
  log.info(
    'stack',
    `using external stack "${stack.name}" (${stack.endpoints.centrifugo.nodes.length} Centrifugo node(s))`,
  );
  return {
    runId: options.runId,
    provider: 'external',
    endpoints,
    versions: stack.versions,
    secrets,
    logsDir: stack.logsDir ?? '',
    faults: {
      killCentrifugoNode: unsupported('killing a Centrifugo node'),
      startCentrifugoNode: unsupported('starting a Centrifugo node'),
      pauseService: unsupported('pausing a service'),
      resumeService: unsupported('resuming a service'),
    },
    crashed: new Promise(() => {}),
    processIds: () => ({}),
    cpuSeconds: () => ({}),
    down: async () => {},
  };
}
