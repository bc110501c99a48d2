import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { UserError } from '../common/errors.ts';
import type { StackSecrets } from '../common/stack-types.ts';
import { parseOrExplain } from '../common/validation.ts';

/**
 * A stack started by `stack up` outlives the command: its endpoints go to `<dir>/<name>.json` and its
 * secrets to `<dir>/<name>.secrets.json` (mode 0600, never to the terminal). `stack down` and the
 * external provider read them back.
 */
const url = z.string().url();
const NodeSchema = z.object({ name: z.string(), httpUrl: url, wsUrl: url, apiUrl: url });
export const StackFileSchema = z.object({
  schemaVersion: z.literal(1),
  name: z.string(),
  runId: z.string(),
  /** The process holding the stack (absent for a hand-written file describing someone's deployment). */
  pid: z.number().int().optional(),
  provider: z.enum(['local', 'external', 'containers']),
  startedAt: z.string().optional(),
  endpoints: z.object({
    centrifugo: z.object({ engine: z.enum(['memory', 'redis', 'nats']), nodes: z.array(NodeSchema).min(1) }),
    postgres: z.object({ url: z.string() }).optional(),
    redis: z.object({ url: z.string() }).optional(),
    nats: z.object({ url: z.string() }).optional(),
    clickhouse: z.object({ url: z.string() }).optional(),
    chatApp: z.object({ url: z.string() }).optional(),
    pushRelay: z.object({ url: z.string() }).optional(),
    pushSink: z
      .object({
        fcmUrl: z.string(),
        webPushUrl: z.string(),
        caFile: z.string(),
        url: z.string().optional(),
        tokenUrl: z.string().optional(),
        controlUrl: z.string().optional(),
        credentialsFile: z.string().optional(),
        receiptsDir: z.string().optional(),
      })
      .optional(),
  }),
  versions: z.record(z.string(), z.string()).default({}),
  logsDir: z.string().optional(),
  /** Path of the secrets file, relative to this file's folder or absolute. */
  secretsFile: z.string(),
});
export type StackFile = z.infer<typeof StackFileSchema>;

const SecretsSchema = z.object({
  centrifugoHmacSecret: z.string().min(1),
  centrifugoApiKey: z.string().min(1),
  postgresPassword: z.string().optional(),
  redisPassword: z.string().optional(),
});

export function defaultStacksDir(resultsDir: string): string {
  return path.join(resultsDir, '.stacks');
}

export function stackFilePath(dir: string, name: string): string {
  return path.join(dir, `${name}.json`);
}

export function writeStackFile(dir: string, file: Omit<StackFile, 'secretsFile'>, secrets: StackSecrets): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const secretsFile = path.join(dir, `${file.name}.secrets.json`);
  writeFileSync(secretsFile, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  chmodSync(secretsFile, 0o600); // writeFileSync keeps the mode of an existing file
  const target = stackFilePath(dir, file.name);
  writeFileSync(target, `${JSON.stringify({ ...file, secretsFile: path.basename(secretsFile) }, null, 2)}\n`);
  return target;
}

export function readStackFile(file: string): { stack: StackFile; secrets: StackSecrets } {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(
      code === 'ENOENT'
        ? `no stack file at ${file}; start a stack with \`centrifugo-bench stack up\` or give the path of one`
        : `stack file ${file} is not valid JSON: ${(error as Error).message}`,
    );
  }
  const stack = parseOrExplain(StackFileSchema, raw, `stack file ${file}`);
  const secretsPath = path.resolve(path.dirname(file), stack.secretsFile);
  let secretsRaw: unknown;
  try {
    secretsRaw = JSON.parse(readFileSync(secretsPath, 'utf8'));
  } catch (error) {
    throw new UserError(`cannot read the stack's secrets file ${secretsPath}: ${(error as Error).message}`);
  }
  return { stack, secrets: parseOrExplain(SecretsSchema, secretsRaw, `secrets file ${secretsPath}`) };
}

export function removeStackFile(file: string): void {
  try {
    const { stack } = readStackFile(file);
    rmSync(path.resolve(path.dirname(file), stack.secretsFile), { force: true });
  } catch {}
  rmSync(file, { force: true });
}
