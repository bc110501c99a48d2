/**
 * The seed step of a run: a scenario's dataset goes into the stack's PostgreSQL (deterministic,
 * idempotent COPY load), its push devices are registered with the relay when the stack has one and a
 * sink, and the online users become the engine's audience.
 *
 * A shard of a distributed run: the dataset is loaded once, by shard 0. The others generate the same dataset in
 * memory (faker with the scenario's seed: equal specs give equal datasets, fingerprint for fingerprint) to know
 * its users and rooms, and never touch PostgreSQL: nothing they do before the start barrier needs the rows
 * (subscribers connect to Centrifugo with tokens), and the barrier opens only once shard 0 — seeded, then
 * connected — reports ready. Push devices are registered by each shard for its own range (`sliceItems`).
 */
import { UserError } from '../common/errors.ts';
import { formatCount, formatSeconds } from '../common/format.ts';
import { log } from '../common/log.ts';
import { sliceItems } from '../distributed/index.ts';
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
  const { scenario, shard } = plan;
  if (!scenario.dataset) return {};
  const postgres = stack.endpoints.postgres;
  if (!postgres) throw new UserError('dataset: the stack has no PostgreSQL to load it into');
  const started = performance.now();
  const dataset = generateDataset(scenario.dataset);
  const shape =
    `dataset ${dataset.fingerprint.slice(0, 12)}: ${dataset.users.length} users, ${dataset.rooms.length} rooms ` +
    `(${dataset.rooms.map((r) => r.memberIds.length).join(' / ')} members)`;
  if (shard.index === 0) {
    const loaded = await loadDataset(postgres.url, dataset);
    log.info(
      'seed',
      `${shape} ${loaded.skipped ? 'already loaded' : 'loaded'} in ${formatSeconds((performance.now() - started) / 1000)}` +
        (shard.count > 1 ? ` (for every shard: they start once this shard is ready)` : ''),
    );
  } else {
    log.info('seed', `${shape} generated in memory; shard 0 loads it before the start barrier`);
  }
  const { pushSink, pushRelay } = stack.endpoints;
  // A shard registers its own contiguous range of the devices; together the shards register each one once.
  const devicesToRegister = shard.count > 1 ? sliceItems(dataset.devices, shard) : dataset.devices;
  if (devicesToRegister.length && pushSink?.controlUrl && pushRelay) {
    const devices = await mintDeviceTokens(devicesToRegister, {
      controlUrl: pushSink.controlUrl,
      caFile: pushSink.caFile,
    });
    const registered = await registerDevices({ url: pushRelay.url, apiKey: stack.secrets.centrifugoApiKey }, devices);
    log.info(
      'seed',
      `${formatCount(registered.registered)} push devices registered in ${formatSeconds(registered.durationMs / 1000)}` +
        (shard.count > 1 ? ` (shard ${shard.index}'s ${devicesToRegister.length} of ${dataset.devices.length})` : ''),
    );
  }
  const audience = audienceFor(dataset, scenario.online);
  log.info(
    'seed',
    `${audience.length} online subscribers (${scenario.online.kind})${shard.count > 1 ? ' in the whole run' : ''}`,
  );
  return {
    audience,
    targetOptions: stack.endpoints.chatApp ? { url: stack.endpoints.chatApp.url } : undefined,
  };
}
