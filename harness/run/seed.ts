import type { Scenario } from '../../scenarios/lib/scenario.ts';
import { UserError } from '../common/errors.ts';
import { log } from '../common/log.ts';
import type { AudienceMember } from '../engine/index.ts';
import { audienceFor, generateDataset, loadDataset, mintDeviceTokens, registerDevices } from '../seed/index.ts';
import type { Stack, StackSpec } from '../stack/index.ts';

/**
 * What a scenario's `dataset` and publish target need from the stack, checked before anything starts:
 * a dataset lives in PostgreSQL; the `chat-app` target needs the chat app (a broadcast mode).
 */
export function checkDatasetNeeds(scenario: Scenario, stackSpec: StackSpec): void {
  const target = scenario.workload?.publishers.target;
  if (target === 'chat-app' && !stackSpec.chatApp) {
    throw new UserError(
      'workload.publishers.target: chat-app needs the chat app in the stack; set stack.chatApp: { mode: "api" } (or outbox, api_outbox, redis_stream, nats_jetstream)',
    );
  }
  if (target === 'chat-app' && !scenario.dataset) {
    throw new UserError(
      'workload.publishers.target: chat-app publishes into rooms; give the scenario a dataset: { … }',
    );
  }
  if (scenario.dataset && !stackSpec.services.includes('postgres')) stackSpec.services.push('postgres');
}

export interface PreparedAudience {
  audience?: AudienceMember[];
  targetOptions?: Record<string, unknown>;
}

/**
 * Seeds the dataset (deterministic, idempotent COPY load), registers its push devices when the stack has
 * a relay and a sink, and turns the online users into the engine's audience.
 */
export async function prepareDataset(scenario: Scenario, stack: Stack): Promise<PreparedAudience> {
  if (!scenario.dataset) return {};
  const postgres = stack.endpoints.postgres;
  if (!postgres) throw new UserError('dataset: the stack has no PostgreSQL to load it into');
  const started = performance.now();
  const dataset = generateDataset(scenario.dataset);
  const loaded = await loadDataset(postgres.url, dataset);
  log.info(
    'seed',
    `dataset ${dataset.fingerprint.slice(0, 12)}: ${dataset.users.length} users, ${dataset.rooms.length} rooms ` +
      `(${dataset.rooms.map((r) => r.memberIds.length).join(' / ')} members) ${loaded.skipped ? 'already loaded' : 'loaded'} ` +
      `in ${((performance.now() - started) / 1000).toFixed(1)}s`,
  );
  const { pushSink, pushRelay } = stack.endpoints;
  if (dataset.devices.length && pushSink?.controlUrl && pushRelay) {
    const devices = await mintDeviceTokens(dataset.devices, {
      controlUrl: pushSink.controlUrl,
      caFile: pushSink.caFile,
    });
    const registered = await registerDevices({ url: pushRelay.url, apiKey: stack.secrets.centrifugoApiKey }, devices);
    log.info(
      'seed',
      `${registered.registered} push devices registered in ${(registered.durationMs / 1000).toFixed(1)}s`,
    );
  }
  const audience = audienceFor(dataset, scenario.online);
  log.info('seed', `${audience.length} online subscribers (${scenario.online.kind})`);
  return {
    audience,
    targetOptions: stack.endpoints.chatApp ? { url: stack.endpoints.chatApp.url } : undefined,
  };
}
