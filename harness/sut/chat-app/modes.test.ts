import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseStackSpec, servicesFor, stackSpecForMode } from '../../stack/index.ts';
import { centrifugoConfig } from '../../stack/testing.ts';
import { splitBroadcast } from './split-broadcast.ts';

const mainFile = path.join(path.dirname(fileURLToPath(import.meta.url)), 'main.ts');

describe('broadcast modes → stack spec', () => {
  it('outbox brings a PostgreSQL consumer with the partitions asked for, and PostgreSQL', () => {
    const spec = parseStackSpec({ chatApp: { mode: 'outbox', partitions: 4 } });
    assert.deepEqual(
      spec.consumers.map((c) => [c.type, c.name, c.type === 'postgresql' && c.partitions]),
      [['postgresql', 'chat_outbox', 4]],
    );
    assert.ok(servicesFor(spec).has('postgres'));
  });

  it('api needs no consumer; api_outbox one; redis_stream and nats_jetstream theirs and their services', () => {
    assert.deepEqual(parseStackSpec({ chatApp: { mode: 'api' } }).consumers, []);
    assert.equal(parseStackSpec({ chatApp: { mode: 'api_outbox' } }).consumers.length, 1);
    const redis = parseStackSpec({ chatApp: { mode: 'redis_stream' } });
    assert.deepEqual(
      redis.consumers.map((c) => c.type),
      ['redis_stream'],
    );
    assert.ok(servicesFor(redis).has('redis'));
    const nats = parseStackSpec({ chatApp: { mode: 'nats_jetstream' } });
    assert.ok(servicesFor(nats).has('nats'));
    const consumer = nats.consumers[0]!;
    assert.ok(consumer.type === 'nats_jetstream' && consumer.useExistingConsumer);
    const config = centrifugoConfig({
      engine: 'memory',
      hmacSecret: 's',
      apiKey: 'k',
      consumers: [{ ...consumer, natsUrl: 'nats://127.0.0.1:4222' } as never],
    });
    const generated = (config.consumers as { nats_jetstream: Record<string, unknown> }[])[0]!.nats_jetstream;
    assert.equal(generated.use_existing_consumer, true);
  });

  it('stackSpecForMode returns the same consumers explicitly; spreading it twice adds nothing twice', () => {
    const pieces = stackSpecForMode('api_outbox', 'redis', { nodes: 2, channelsPerCall: 1000 });
    assert.equal(pieces.engine, 'redis');
    assert.equal(pieces.nodes, 2);
    assert.deepEqual(pieces.chatApp, { mode: 'api_outbox', partitions: 1, channelsPerCall: 1000, push: false });
    const spec = parseStackSpec(pieces);
    assert.deepEqual(
      spec.consumers,
      pieces.consumers.map((c) => ({ ...c })),
    );
  });

  it('cdc modes bring a kafka consumer, Kafka, Kafka Connect and PostgreSQL; Centrifugo reads the method header', () => {
    for (const mode of ['cdc', 'api_cdc'] as const) {
      const spec = parseStackSpec({ chatApp: { mode, kafkaPartitions: 4 } });
      assert.deepEqual(spec.consumers, [
        {
          type: 'kafka',
          name: 'chat_cdc',
          topics: ['postgres.public.chat_cdc'],
          consumerGroup: 'centrifugo',
          partitions: 4,
        },
      ]);
      assert.deepEqual([...servicesFor(spec)].sort(), ['kafka', 'kafka-connect', 'postgres']);
      assert.deepEqual(
        stackSpecForMode(mode).consumers.map((c) => c.type),
        ['kafka'],
      );
    }
    const config = centrifugoConfig({
      engine: 'memory',
      hmacSecret: 's',
      apiKey: 'k',
      consumers: [
        { type: 'kafka', name: 'chat_cdc', brokers: ['127.0.0.1:9092'], topics: ['t'], consumerGroup: 'centrifugo' },
      ],
    });
    // reference/centrifugo.md §1.4 (f), internal/configtypes KafkaConsumerConfig: these keys and no others.
    assert.deepEqual(config.consumers, [
      {
        name: 'chat_cdc',
        type: 'kafka',
        enabled: true,
        kafka: {
          brokers: ['127.0.0.1:9092'],
          topics: ['t'],
          consumer_group: 'centrifugo',
          method_header: 'centrifugo-method',
        },
      },
    ]);
  });

  it('the app process refuses a bad config: exit 2, one line naming the field', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'chat-app-test-'));
    const file = path.join(dir, 'config.json');
    writeFileSync(
      file,
      JSON.stringify({
        port: 0,
        mode: 'kafka',
        databaseUrl: 'postgresql://127.0.0.1:1/x',
        centrifugo: { apiUrl: 'http://127.0.0.1:1/api', apiKey: 'k', hmacSecret: 's' },
      }),
    );
    const result = spawnSync(process.execPath, ['--import', 'tsx', mainFile, '--config', file], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    rmSync(dir, { recursive: true, force: true });
    assert.equal(result.status, 2, result.stderr);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /^error: invalid chat app config: mode: /);
  });
});

describe('splitBroadcast', () => {
  const request = {
    channels: Array.from({ length: 2500 }, (_, i) => `personal:${i + 1}`),
    dataJson: '{"type":"message_added"}',
    idempotencyKey: 'message_7',
    roomId: 5,
  };

  it('keeps GrandChat’s single call and key when no limit is set', () => {
    const [call, ...rest] = splitBroadcast(request, { partitions: 1 });
    assert.equal(rest.length, 0);
    assert.equal(call!.idempotencyKey, 'message_7');
    assert.deepEqual(JSON.parse(call!.body), {
      channels: request.channels,
      data: { type: 'message_added' },
      idempotency_key: 'message_7',
    });
  });

  it('splits into calls of at most channelsPerCall, each key suffixed, partitions spread from the room', () => {
    const calls = splitBroadcast(request, { channelsPerCall: 1000, partitions: 4 });
    assert.deepEqual(
      calls.map((c) => [c.channels.length, c.idempotencyKey, c.partition]),
      [
        [1000, 'message_7:0', 1],
        [1000, 'message_7:1', 2],
        [500, 'message_7:2', 3],
      ],
    );
    assert.deepEqual(
      calls.flatMap((c) => c.channels),
      request.channels,
      'every channel once, in order',
    );
  });

  it('fits a transport’s message limit (NATS max_payload): every body under it, every channel once', () => {
    const calls = splitBroadcast(request, { partitions: 1, maxBodyBytes: 10_000 });
    assert.ok(calls.length > 4, `${calls.length} calls`);
    for (const call of calls)
      assert.ok(Buffer.byteLength(call.body) <= 10_000, `${Buffer.byteLength(call.body)} bytes`);
    assert.deepEqual(
      calls.flatMap((c) => c.channels),
      request.channels,
    );
    // the tighter of the two limits wins
    assert.equal(splitBroadcast(request, { partitions: 1, maxBodyBytes: 1 << 20, channelsPerCall: 100 }).length, 25);
  });

  it('sends nothing for a room without members', () => {
    assert.deepEqual(splitBroadcast({ ...request, channels: [] }, { partitions: 1 }), []);
  });
});
