import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import path from 'node:path';

/**
 * A V8 CPU profile of this process while `PUSH_RELAY_CPU_PROFILE_DIR` is set (the stack starts the relay, so
 * `node --cpu-prof` cannot be passed, and Node refuses it in NODE_OPTIONS): started at boot, written as
 * `<dir>/relay-<role>-<pid>.cpuprofile` at shutdown — open it in Chrome DevTools or speedscope.
 */
export async function startCpuProfile(role: string): Promise<(() => Promise<void>) | undefined> {
  const dir = process.env.PUSH_RELAY_CPU_PROFILE_DIR;
  if (!dir) return undefined;
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(path.join(dir, `relay-${role}-${process.pid}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  };
}
