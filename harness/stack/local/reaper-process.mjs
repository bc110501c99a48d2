// The reaper: a tiny detached process that outlives the harness. The harness tells it, one JSON line at a
// time on stdin, which process groups and folders it owns. When stdin closes — the harness exited, crashed
// or was SIGKILLed; the kernel closes the pipe in every case — the reaper kills what is still registered
// and removes the folders. A clean teardown unregisters everything first, so then the reaper has nothing
// to do. Plain JavaScript with no dependencies: it must start fast and work when nothing else does.
import { rmSync } from 'node:fs';

const groups = new Set();
const dirs = new Set();

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => {});

let buffered = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buffered += chunk;
  let newline = buffered.indexOf('\n');
  while (newline >= 0) {
    const line = buffered.slice(0, newline);
    buffered = buffered.slice(newline + 1);
    newline = buffered.indexOf('\n');
    if (!line) continue;
    const message = JSON.parse(line);
    if (message.group) groups.add(message.group);
    if (message.ungroup) groups.delete(message.ungroup);
    if (message.dir) dirs.add(message.dir);
    if (message.undir) dirs.delete(message.undir);
  }
});
process.stdin.on('end', reap);
process.stdin.on('error', reap);

function alive(pgid) {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

function signalAll(signal) {
  for (const pgid of groups) {
    try {
      process.kill(-pgid, signal);
    } catch {
      groups.delete(pgid);
    }
  }
}

let reaping = false;
async function reap() {
  if (reaping) return;
  reaping = true;
  signalAll('SIGTERM');
  const deadline = Date.now() + 8000;
  while (Date.now() < deadline && [...groups].some(alive)) await new Promise((r) => setTimeout(r, 100));
  signalAll('SIGKILL');
  await new Promise((r) => setTimeout(r, 200));
  for (const dir of dirs) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {}
  }
  process.exit(0);
}
