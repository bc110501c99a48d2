/**
 * The seed step of a run: a scenario's dataset goes into the stack's PostgreSQL (deterministic,
 * idempotent COPY load), its push devices are registered with the relay when the stack has one and a
 * sink, and the online users become the engine's audience.
 */
import { UserError } from '../common/errors.ts';
import { formatCount, formatSeconds } from '../common/format.ts';
import { log } from '../common/log.ts';
import type { AudienceMember } from '../engine/index.ts';
import { audienceFor, generateDataset, loadDataset, mintDeviceTokens, registerDevices } from '../seed/index.ts';
import type { Stack } from '../stack/index.ts';
import type { RunPlan } from './plan.ts';

export interface Seeded {
  /** Who subscribes to what; absent without a dataset (the engine makes up users u1..uN). */
  audience?: AudienceMember[];
  /** Options for the publish target (the chat-app target reads the app's URL from here). */
  targetOptions?: Record<string, unknown>;
}

export async function seedStack(plan: RunPlan, stack: Stack): Promise<Seeded> {
  const { scenario } = plan;
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
      `in ${formatSeconds((performance.now() - started) / 1000)}`,
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
      `${formatCount(registered.registered)} push devices registered in ${formatSeconds(registered.durationMs / 1000)}`,
    );
  }
  const audience = audienceFor(dataset, scenario.online);
  log.info('seed', `${audience.length} online subscribers (${scenario.online.kind})`);
  return {
    audience,
    targetOptions: stack.endpoints.chatApp ? { url: stack.endpoints.chatApp.url } : undefined,
  };
}
