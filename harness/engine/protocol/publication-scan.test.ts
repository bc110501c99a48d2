/**
 * The byte-scanned fast path (publication-scan.ts) against JSON.parse: whatever it accepts, it reads
 * exactly as JSON.parse would; everything not of the plain shape is declined (and takes the general path).
 * The same for the Protobuf protocol's form, the publication's data bytes alone (`scanDataMarker`).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { publicationHead, type ScannedPublication, scanDataMarker, scanPublication } from './publication-scan.ts';

const out: ScannedPublication = { streamStart: 0, streamEnd: 0, q: 0, t: 0, offset: 0 };
const CHANNEL = 'personal:u42';

function scan(line: string, channel = CHANNEL): ScannedPublication | undefined {
  // Surround the line with other bytes: the scan must stay within [start, end).
  const data = Buffer.from(`{"x":1}\n${line}\n{}`);
  const start = 8;
  const end = start + Buffer.byteLength(line);
  if (!scanPublication(data, start, end, publicationHead(channel), out)) return undefined;
  return { ...out, streamStart: out.streamStart - start, streamEnd: out.streamEnd - start };
}

const plain = (q: number, offset: number, stream = 'broadcast', pad = 'xxxx') =>
  JSON.stringify({
    push: { channel: CHANNEL, pub: { data: { bench: { s: stream, q, t: 1_700_000_000_123 + q }, pad }, offset } },
  });

test('a plain publication: marker and offset read from the bytes, equal to JSON.parse', () => {
  const line = plain(7, 1234);
  const r = scan(line)!;
  assert.ok(r, 'accepted');
  assert.equal(r.q, 7);
  assert.equal(r.t, 1_700_000_000_130);
  assert.equal(r.offset, 1234);
  assert.equal(Buffer.from(line).toString('utf8', r.streamStart, r.streamEnd), 'broadcast');
});

test('declined: other channels, replies, pings, odd markers, extra fields, odd numbers, truncation', () => {
  const declined = {
    'another channel': plain(1, 1).replace(CHANNEL, 'personal:u43'),
    'a prefix of the channel': plain(1, 1).replace(CHANNEL, `${CHANNEL}0`),
    'a reply': '{"id":2,"subscribe":{"recoverable":true,"epoch":"e","offset":3}}',
    'a ping': '{}',
    'marker in another order': `{"push":{"channel":"${CHANNEL}","pub":{"data":{"bench":{"q":1,"s":"b","t":5}},"offset":1}}}`,
    'bench not first in data': `{"push":{"channel":"${CHANNEL}","pub":{"data":{"pad":"","bench":{"s":"b","q":1,"t":5}},"offset":1}}}`,
    'an escaped stream id': plain(1, 1, 'a"b'),
    'fields after offset': plain(1, 1).replace(/}}}$/, ',"tags":{"k":"v"}}}}'),
    'time after offset': plain(1, 1).replace(/}}}$/, ',"time":1700000000}}}'),
    'no offset, offset-like data': `{"push":{"channel":"${CHANNEL}","pub":{"data":{"bench":{"s":"b","q":1,"t":5},"offset":3}}}}`,
    'a key after pub': `{"push":{"channel":"${CHANNEL}","pub":{"data":{"bench":{"s":"b","q":1,"t":5}},"offset":3},"x":{}}}`,
    'a fractional q': plain(1, 1).replace('"q":1,', '"q":1.5,'),
    'an exponent t': plain(1, 1).replace(/"t":\d+/, '"t":1e15'),
    'a negative t': plain(1, 1).replace(/"t":\d+/, '"t":-5'),
    'a leading zero': plain(1, 1).replace('"q":1,', '"q":01,'),
    'a 16-digit q': plain(1, 1).replace('"q":1,', '"q":1234567890123456,'),
    'a fractional offset': plain(1, 1).replace(/"offset":1}}}$/, '"offset":1.5}}}'),
    'an empty offset': plain(1, 1).replace(/"offset":1}}}$/, '"offset":}}}'),
    truncated: plain(1, 1).slice(0, -1),
    'the head only': `{"push":{"channel":"${CHANNEL}","pub":{"data":{"bench":{"s":"`,
  };
  for (const [what, line] of Object.entries(declined)) assert.equal(scan(line), undefined, what);
});

test('a channel with characters JSON escapes is matched in its escaped form', () => {
  const channel = 'room:"quoted"\\and/é';
  const line = JSON.stringify({
    push: { channel, pub: { data: { bench: { s: 'room-1', q: 3, t: 99 } }, offset: 3 } },
  });
  assert.equal(scan(line, channel)?.q, 3);
  assert.equal(scan(line), undefined, 'not on another channel');
});

test('random publications: anything accepted reads exactly as JSON.parse', () => {
  let seed = 7;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)]!;
  const pads = [
    '',
    'x'.repeat(90),
    '},"offset":9}}}',
    '"quoted" \\ back\nslash',
    'é€😀',
    '{"bench":{"s":"b","q":9,"t":9}}',
  ];
  const streams = ['broadcast', 'room-7', 'a"b', 'é', 'personal:u42'];
  let accepted = 0;
  for (let i = 0; i < 5000; i++) {
    const stream = pick(streams);
    const q = Math.floor(random() * 1e6);
    const t = Math.floor(random() * 1e15);
    const data: Record<string, unknown> =
      random() < 0.8
        ? { bench: { s: stream, q, t }, pad: pick(pads) }
        : { pad: pick(pads), bench: { s: stream, q, t } };
    const pub: Record<string, unknown> = { data };
    if (random() < 0.9) pub.offset = Math.floor(random() * 1e9);
    if (random() < 0.1) pub.tags = { offset: '5' };
    const line = JSON.stringify({ push: { channel: random() < 0.9 ? CHANNEL : 'personal:u1', pub } });
    const r = scan(line);
    if (!r) continue;
    accepted++;
    const parsed = JSON.parse(line) as {
      push: { channel: string; pub: { data: { bench: { s: string; q: number; t: number } }; offset: number } };
    };
    assert.equal(parsed.push.channel, CHANNEL, line);
    assert.equal(r.offset, parsed.push.pub.offset, line);
    assert.equal(r.q, parsed.push.pub.data.bench.q, line);
    assert.equal(r.t, parsed.push.pub.data.bench.t, line);
    const streamJson = Buffer.from(line).toString('utf8', r.streamStart, r.streamEnd);
    assert.equal(JSON.parse(`"${streamJson}"`), parsed.push.pub.data.bench.s, line);
  }
  assert.ok(accepted > 2000, `the fast path is taken for most plain lines (${accepted} of 5000)`);
});

function scanData(json: string): ScannedPublication | undefined {
  const data = Buffer.from(`\x22\x10${json}\x30\x07`);
  const start = 2;
  if (!scanDataMarker(data, start, start + Buffer.byteLength(json), out)) return undefined;
  return { ...out, streamStart: out.streamStart - start, streamEnd: out.streamEnd - start };
}

test('publication data alone (Protobuf): the marker read from the bytes; odd shapes declined', () => {
  const r = scanData('{"bench":{"s":"broadcast","q":7,"t":1700000000130},"pad":"xx"}')!;
  assert.deepEqual([r.q, r.t, r.streamStart, r.streamEnd], [7, 1_700_000_000_130, 15, 24]);
  assert.ok(scanData('{"bench":{"s":"b","q":1,"t":2}}'), 'the marker alone');
  const declined = {
    'bench not first': '{"pad":"","bench":{"s":"b","q":1,"t":5}}',
    'another order': '{"bench":{"q":1,"s":"b","t":5}}',
    'an escaped stream id': '{"bench":{"s":"a\\"b","q":1,"t":5}}',
    'a fractional q': '{"bench":{"s":"b","q":1.5,"t":5}}',
    'a negative t': '{"bench":{"s":"b","q":1,"t":-5}}',
    'a leading zero': '{"bench":{"s":"b","q":01,"t":5}}',
    truncated: '{"bench":{"s":"b","q":1,"t":5}',
    'not an object': '[{"bench":{"s":"b","q":1,"t":5}}]',
    empty: '',
  };
  for (const [what, json] of Object.entries(declined)) assert.equal(scanData(json), undefined, what);
});

test('random publication data: anything accepted reads exactly as JSON.parse', () => {
  let seed = 11;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)]!;
  const pads = ['', 'x'.repeat(90), '"quoted" \\ back\nslash', 'é€😀', '{"bench":{"s":"b","q":9,"t":9}}'];
  const streams = ['broadcast', 'room-7', 'a"b', 'é'];
  let accepted = 0;
  for (let i = 0; i < 5000; i++) {
    const bench = { s: pick(streams), q: Math.floor(random() * 1e6), t: Math.floor(random() * 1e15) };
    const data = random() < 0.8 ? { bench, pad: pick(pads) } : { pad: pick(pads), bench };
    const json = JSON.stringify(data);
    const r = scanData(json);
    if (!r) continue;
    accepted++;
    const parsed = JSON.parse(json) as { bench: { s: string; q: number; t: number } };
    assert.equal(r.q, parsed.bench.q, json);
    assert.equal(r.t, parsed.bench.t, json);
    assert.equal(JSON.parse(`"${Buffer.from(json).toString('utf8', r.streamStart, r.streamEnd)}"`), parsed.bench.s);
  }
  assert.ok(accepted > 2000, `most plain data is scanned (${accepted} of 5000)`);
});
