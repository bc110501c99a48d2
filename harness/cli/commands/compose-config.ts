import path from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../../common/errors.ts';
import { COMPOSE_DIR, REPO_ROOT, writeComposeConfig } from '../../stack/index.ts';

const CONSUMER_TYPES = ['postgresql', 'redis_stream', 'nats_jetstream'] as const;

/** `centrifugo-bench compose-config`: the files docker-compose.yml reads, and a stack file pointing at it. */
export function registerComposeConfig(program: Command): void {
  program
    .command('compose-config')
    .description(
      'write results/.compose/ for docker-compose.yml: Centrifugo config, secrets (from the environment, .env, or new), and a stack file for --provider external',
    )
    .option('--engine <engine>', 'Centrifugo engine/broker: memory | redis | nats', 'redis')
    .option(
      '--consumers <list>',
      `Centrifugo consumers for broadcast modes, comma list of ${CONSUMER_TYPES.join(', ')}`,
      '',
    )
    .option('--env-file <file>', '.env file to read secrets and CB_*_PORT from', path.join(REPO_ROOT, '.env'))
    .option('--out-dir <dir>', 'where to write (docker-compose.yml reads results/.compose)', COMPOSE_DIR)
    .action((options: { engine: string; consumers: string; envFile: string; outDir: string }) => {
      if (!['memory', 'redis', 'nats'].includes(options.engine)) {
        throw new UserError(`--engine ${options.engine}: use memory, redis or nats`);
      }
      const consumers = options.consumers
        .split(',')
        .map((c) => c.trim())
        .filter(Boolean);
      for (const c of consumers) {
        if (!(CONSUMER_TYPES as readonly string[]).includes(c)) {
          throw new UserError(`--consumers ${c}: use ${CONSUMER_TYPES.join(', ')}`);
        }
      }
      const result = writeComposeConfig({
        engine: options.engine as 'memory' | 'redis' | 'nats',
        consumers: consumers as (typeof CONSUMER_TYPES)[number][],
        envFile: options.envFile,
        outDir: path.resolve(options.outDir),
        env: process.env,
      });
      const rel = (p: string) => path.relative(process.cwd(), p) || p;
      process.stdout.write(
        [
          `wrote ${rel(path.resolve(options.outDir))}/ (Centrifugo ${options.engine} config, per-service env files, stack file)`,
          result.generatedSecrets.length > 0
            ? `generated new secrets: ${result.generatedSecrets.join(', ')} (kept in ${rel(result.secretsEnvFile)})`
            : 'secrets: reused (environment, .env or an earlier run)',
          'next: docker compose up -d',
          `then: point the harness at it with provider external, stackFile ${rel(result.stackFile)}`,
          '',
        ].join('\n'),
      );
    });
}
