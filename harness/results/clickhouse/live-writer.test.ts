/**
 * Files first: a live writer whose ClickHouse is down or hangs never blocks or fails the run — its
 * calls return at once, its buffer stays bounded, `close()` returns within its deadline and says the
 * run needs a backfill. (Backfilling with `results load` is in clickhouse.integration.test.ts.)
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import type { TimeseriesPoint } from '../../common/summary-types.ts';
import { writeFixtureRun } from './fixture-run.ts';
import { createLiveWriter } from './live-writer.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'centrifugo-bench-live-writer-'));
const fixture = writeFixtureRun(root, { runId: 'live-fixture', startedAt: new Date(), seconds: 30 });
const points = readFileSync(path.join(fixture.dir, 'timeseries.ndjson'), 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as TimeseriesPoint);

async function listen(onConnection: (socket: Socket) => void): Promise<{ server: Server; port: number }> {
  const server = createServer(onConnection);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port };
}

/** A port nothing listens on: bind, note the port, close. */
async function closedPort(): Promise<number> {
  const { server, port } = await listen(() => {});
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function feed(writer: ReturnType<typeof createLiveWriter>): number {
  const started = performance.now();
  for (const point of points) writer.point(point);
  for (const event of fixture.summary.timeline) writer.event(event);
  writer.sample({
    run_id: 'x',
    ts_us: Date.now() * 1000,
    stream: 'personal:1',
    subscriber: 'u1',
    seq: 1,
    latency_us: 1234,
    node: 'n1',
  });
  return performance.now() - started;
}

after(() => rmSync(root, { recursive: true, force: true }));

describe('live writer, files first', () => {
  test('ClickHouse refusing connections: calls return at once, close says "backfill"', async () => {
    const port = await closedPort();
    const writer = createLiveWriter(`http://127.0.0.1:${port}/bench`, fixture.info, {
      flushIntervalMs: 50,
      requestTimeoutMs: 1000,
    });
    const feedMs = feed(writer);
    assert.ok(feedMs < 2000, `feeding 30 s of points took ${feedMs} ms`);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(writer.stats.connected, false);
    const started = Date.now();
    const result = await writer.close(fixture.summary);
    assert.ok(Date.now() - started < 10_000, 'close returned within its deadline');
    assert.equal(result.complete, false);
    assert.equal(result.rowsWritten, 0);
    assert.ok(result.rowsDropped > fixture.trendRows, `dropped ${result.rowsDropped}`);
    assert.match(result.lastError ?? '', /connect/);
  });

  test('ClickHouse accepting but never answering: the run is not held up, the buffer stays bounded', async () => {
    const sockets: Socket[] = [];
    const { server, port } = await listen((socket) => sockets.push(socket)); // a black hole
    try {
      const writer = createLiveWriter(`http://127.0.0.1:${port}/bench`, fixture.info, {
        flushIntervalMs: 50,
        requestTimeoutMs: 500,
        maxBufferedRows: 100,
        closeTimeoutMs: 2000,
      });
      const feedMs = feed(writer);
      assert.ok(feedMs < 2000, `feeding took ${feedMs} ms`);
      assert.ok(writer.stats.buffered <= 100, `buffer ${writer.stats.buffered} rows, bound 100`);
      assert.ok(writer.stats.dropped > 0);
      const started = Date.now();
      const result = await writer.close(fixture.summary);
      assert.ok(Date.now() - started < 8000, `close took ${Date.now() - started} ms`);
      assert.equal(result.complete, false);
      assert.equal(result.rowsWritten, 0);
    } finally {
      for (const socket of sockets) socket.destroy();
      server.close();
    }
  });

  test('a point that cannot be mapped is counted, not thrown', async () => {
    const port = await closedPort();
    const writer = createLiveWriter(`http://127.0.0.1:${port}/bench`, fixture.info, { requestTimeoutMs: 200 });
    assert.doesNotThrow(() => writer.point(null as unknown as TimeseriesPoint));
    const result = await writer.close(null);
    assert.equal(result.complete, false);
  });
});
