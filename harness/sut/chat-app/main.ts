/**
 * The chat app as a process: `node --import tsx harness/sut/chat-app/main.ts --config <file.json>`.
 * Prints one JSON line `{"url":…,"mode":…,"version":…}` on stdout when it listens; stops on SIGTERM/SIGINT.
 * A bad config exits 2 with one line naming the field.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { isUserError } from '../../common/errors.ts';
import { parseOrExplain } from '../../common/validation.ts';
import { ChatAppConfigSchema } from './config.ts';
import { startChatAppServer } from './server.ts';
import { CHAT_APP_VERSION } from './version.ts';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { config: { type: 'string' } } });
  if (!values.config) throw new Error('usage: main.ts --config <file.json>');
  const config = parseOrExplain(
    ChatAppConfigSchema,
    JSON.parse(readFileSync(values.config, 'utf8')),
    'chat app config',
  );
  const running = await startChatAppServer(config);
  process.stdout.write(`${JSON.stringify({ url: running.url, mode: config.mode, version: CHAT_APP_VERSION })}\n`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await running.close().catch(() => {});
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(isUserError(error) ? error.exitCode : 1);
});
