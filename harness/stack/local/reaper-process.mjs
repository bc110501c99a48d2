// The reaper: a tiny detached process that outlives the harness. The harness tells it, one JSON line at a
// time on stdin, which process groups and folders it owns. When stdin closes — the harness exited, crashed
// or was SIGKILLed; the kernel closes the pipe in every case — the reaper kills what is still registered
// and removes the folders. A clean teardown unregisters everything first, so then the reaper has nothing
// to do. Plain JavaScript with no dependencies: it must start fast and work when nothing else does.
// Containers (provider containers) are registered by label and engine socket: they go first, through the
// engine's Docker-compatible API, while the engine service (one of the groups, when the harness started it)
// still runs; then the process groups.
import { rmSync } from 'node:fs';
import http from 'node:http';

const groups = new Set();
const dirs = new Set();
/** label (key=value) → engine API socket */
const containerLabels = new Map();

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
    if (message.containers) containerLabels.set(message.containers.label, message.containers.socket);
    if (message.uncontainers) containerLabels.delete(message.uncontainers);
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

/** One Docker API call over the engine's unix socket; resolves with the parsed body (null on any failure). */
function api(socket, method, path) {
  return new Promise((resolve) => {
    const request = http.request({ socketPath: socket, method, path, timeout: 15000, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => {
        body += chunk;
      });
      response.on('end', () => {
        try {
          resolve(body ? JSON.parse(body) : {});
        } catch {
          resolve({});
        }
      });
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(null));
    request.end();
  });
}

/** Removes every container (forced, with its anonymous volumes), network and volume carrying a label. */
async function reapContainers() {
  for (const [label, socket] of containerLabels) {
    const filters = encodeURIComponent(JSON.stringify({ label: [label] }));
    const containers = (await api(socket, 'GET', `/containers/json?all=true&filters=${filters}`)) ?? [];
    await Promise.all(containers.map((c) => api(socket, 'DELETE', `/containers/${c.Id}?force=true&v=true`)));
    const networks = (await api(socket, 'GET', `/networks?filters=${filters}`)) ?? [];
    for (const network of networks) await api(socket, 'DELETE', `/networks/${network.Id}`);
    const volumes = (await api(socket, 'GET', `/volumes?filters=${filters}`))?.Volumes ?? [];
    for (const volume of volumes) await api(socket, 'DELETE', `/volumes/${encodeURIComponent(volume.Name)}?force=true`);
  }
}

let reaping = false;
async function reap() {
  if (reaping) return;
  reaping = true;
  await reapContainers();
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
