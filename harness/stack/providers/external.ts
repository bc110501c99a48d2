import { UserError } from '../../common/errors.ts';
import { log, registerSecret } from '../../common/log.ts';
import { checkTargetUrls, type TargetUrl } from '../../common/loopback.ts';
import type { StackEndpoints } from '../../common/stack-types.ts';
import { withPassword } from '../../common/urls.ts';
import type { Stack, StackStartOptions } from '../stack.ts';
import { readStackFile } from '../stack-file.ts';
import type { StackSpec } from '../stack-spec.ts';

/**
 * Every URL the run may send traffic or a secret to, named by its path in the stack file: every field called
 * `url` or `…Url`, however deep, so a URL field added to the endpoints later is checked without a change here.
 */
function endpointUrls(value: unknown, at = 'endpoints'): TargetUrl[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => endpointUrls(item, `${at}[${i}]`));
  if (!value || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, field]) =>
    typeof field === 'string'
      ? key === 'url' || key.endsWith('Url')
        ? [{ name: `${at}.${key}`, url: field }]
        : []
      : endpointUrls(field, `${at}.${key}`),
  );
}

/**
 * A stack somebody else runs: `stack up` in another terminal, docker-compose.yml, or a staging
 * deployment described by a hand-written stack file. The harness starts and stops nothing, and
 * sends load to loopback addresses only unless `allowRemoteTargets` says otherwise.
 */
export async function startExternalStack(spec: StackSpec, options: StackStartOptions): Promise<Stack> {
  const { stack, secrets } = readStackFile(spec.stackFile!);
  // Before anything connects: engine targets, the seed, the push flood and the stack's ClickHouse all get
  // their URLs from these endpoints, so checking them covers every place load or the API key goes.
  checkTargetUrls(endpointUrls(stack.endpoints), spec.allowRemoteTargets);
  // Redacted from every log line and run file, like the secrets a local stack generates.
  for (const secret of Object.values(secrets)) if (secret) registerSecret(secret);
  // Stack files hold URLs without passwords; the secrets file has them.
  const endpoints: StackEndpoints = {
    ...stack.endpoints,
    postgres: stack.endpoints.postgres && { url: withPassword(stack.endpoints.postgres.url, secrets.postgresPassword) },
    redis: stack.endpoints.redis && { url: withPassword(stack.endpoints.redis.url, secrets.redisPassword) },
  };
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
