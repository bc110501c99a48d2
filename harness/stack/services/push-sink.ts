import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseOrExplain } from '../../common/validation.ts';
import { FaultProfileSchema, parseSinkConfig, type SinkEndpoints } from '../../sut/push-sink/index.ts';
import { customProbe, waitUntilReady } from '../local/readiness.ts';
import type { StartedSut, SutStartContext } from './sut.ts';

export interface StartedPushSink extends StartedSut {
  fcmUrl: string;
  webPushUrl: string;
  caFile: string;
  tokenUrl: string;
  controlUrl: string;
  /** Service-account JSON (0600) whose `private_key` signs the OAuth assertions. */
  credentialsFile: string;
  /** NDJSON receipt files, one per worker; kept with the run's results (next to its logs). */
  receiptsDir: string;
}

const BIN = fileURLToPath(new URL('../../cli/bin.mjs', import.meta.url));

/** GET /health over TLS, trusting the per-run CA the sink wrote, once it wrote its endpoints file. */
function healthProbe(dir: string, port: number) {
  const endpointsFile = path.join(dir, 'sink.json');
  return customProbe(`GET https://127.0.0.1:${port}/health → 200 (TLS, per-run CA)`, async () => {
    if (!existsSync(endpointsFile)) return false;
    const ca = readFileSync(path.join(dir, 'ca.pem'));
    return new Promise<boolean>((resolve) => {
      const req = https.get(`https://127.0.0.1:${port}/health`, { ca, timeout: 2000 }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on('error', () => resolve(false));
      req.on('timeout', () => req.destroy());
    });
  });
}

/**
 * The mock FCM / Web Push sink (harness/sut/push-sink) as a local process: `centrifugo-bench sink` with the
 * stack option `pushSink` as its config file. Its CA, credentials and endpoints live in the run's temporary
 * folder; receipts go next to the run's logs so they outlive the stack.
 */
/**
 * A push flood's own sink fault profile (`push.sinkFaults: { … }`), checked when the run is planned — the
 * sink only sees it once the flood applies it, after the stack is up and the devices are registered.
 */
export function checkSinkFaultProfile(profile: unknown): void {
  parseOrExplain(FaultProfileSchema, profile, 'scenario', 'push.sinkFaults');
}

export async function startPushSink(context: SutStartContext): Promise<StartedPushSink> {
  const { runtime } = context;
  const config = parseSinkConfig(context.options, 'stack option pushSink', 'pushSink');
  const dir = runtime.dir('push-sink');
  const port = await runtime.port('push sink', config.port || undefined);
  const configFile = path.join(dir, 'config.json');
  writeFileSync(configFile, `${JSON.stringify({ ...config, port })}\n`, { mode: 0o600 });
  const receiptsDir = path.join(runtime.logsDir, 'push-sink-receipts');
  const proc = runtime.spawn({
    name: 'push-sink',
    command: process.execPath,
    args: [BIN, 'sink', '--config', configFile, '--state-dir', dir, '--receipts-dir', receiptsDir],
    stopTimeoutMs: 10_000,
  });
  await waitUntilReady(proc, healthProbe(dir, port), { timeoutMs: 30_000, signal: runtime.signal });
  const endpoints = JSON.parse(readFileSync(path.join(dir, 'sink.json'), 'utf8')) as SinkEndpoints;
  return {
    url: endpoints.url,
    version: endpoints.version,
    process: proc,
    fcmUrl: endpoints.fcmUrl,
    webPushUrl: endpoints.webPushUrl,
    caFile: endpoints.caFile,
    tokenUrl: endpoints.tokenUrl,
    controlUrl: endpoints.controlUrl,
    credentialsFile: endpoints.credentialsFile,
    receiptsDir: endpoints.receiptsDir,
  };
}
