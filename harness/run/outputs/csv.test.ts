/**
 * `--out csv=<file>`: what the output writes, read back — k6's header, one row per metric per second,
 * k6's value and timestamp formats, quoting only where RFC 4180 needs it, gzipped when the name ends in .gz.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { CSV_HEADER, CsvOutput, csvField } from './csv.ts';
import { delivery, point, runInfo } from './testing.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'cb-csv-out-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const K6_HEADER =
  'metric_name,timestamp,metric_value,check,error,error_code,expected_response,group,method,name,proto,scenario,service,status,subproto,tls_version,url,extra_tags,metadata';

function readText(file: string): string {
  const bytes = readFileSync(file);
  return (file.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
}

/** Rows as objects by column. A strict split: the test's values need no quoting (checked: no quote anywhere). */
function readRows(file: string): Record<string, string>[] {
  const [header, ...lines] = readText(file).split('\n');
  assert.equal(header, K6_HEADER);
  assert.equal(lines.pop(), '', 'the file ends with a line break');
  return lines.map((line) => {
    assert.ok(!line.includes('"'), line);
    const fields = line.split(',');
    assert.equal(fields.length, CSV_HEADER.length, line);
    return Object.fromEntries(CSV_HEADER.map((column, i) => [column, fields[i]!]));
  });
}

for (const name of ['run.csv', 'run.csv.gz']) {
  test(`${name}: k6's columns, a row per metric per second, tags in k6's columns`, async () => {
    const file = path.join(dir, name);
    const output = new CsvOutput(file);
    await output.start({ dir, info: runInfo('run-csv') });
    output.addPoint(point(0, 200));
    output.addSamples([delivery('run-csv', 1)]);
    output.addPoint(point(1, 400));
    await output.stop(undefined);
    if (name.endsWith('.gz')) assert.deepEqual([...readFileSync(file).subarray(0, 2)], [0x1f, 0x8b], 'gzip magic');

    const rows = readRows(file);
    const delivered = rows.filter((r) => r.metric_name === 'messages_delivered');
    assert.deepEqual(
      delivered.map((r) => [r.timestamp, r.metric_value]),
      [
        [String(Date.UTC(2026, 10, 23, 12, 0, 1) / 1000), '200.000000'],
        [String(Date.UTC(2026, 10, 23, 12, 0, 2) / 1000), '400.000000'],
      ],
    );
    assert.equal(delivered[0]!.scenario, 'k6-files');
    assert.equal(delivered[0]!.extra_tags, 'run_id=run-csv');
    assert.equal(delivered[0]!.metadata, '');
    assert.deepEqual(
      rows.filter((r) => r.metric_name === 'delivery_latency.p99').map((r) => r.metric_value),
      ['10.000000', '11.000000'],
    );
    const sampled = rows.filter((r) => r.metric_name === 'delivery_latency');
    assert.deepEqual(
      sampled.map((r) => [r.metric_value, r.extra_tags, r.metadata]),
      [['2.501000', 'run_id=run-csv&stream=room:7&node=centrifugo-1', 'subscriber=user-1&seq=1']],
    );
    // Every row of a second carries that second: the file can be grouped by timestamp.
    const perSecond = rows.filter((r) => r.metric_name !== 'delivery_latency').length / 2;
    assert.equal(perSecond, 9 + 2 + 1 + 3, 'trend statistics, counters, gauge, generator');
  });
}

test('fields are quoted only when they must be, quotes doubled (RFC 4180)', async () => {
  assert.equal(csvField('room:7'), 'room:7');
  assert.equal(csvField('a, "b"'), '"a, ""b"""');
  assert.equal(csvField(' lead'), '" lead"');
  assert.equal(csvField('two\nlines'), '"two\nlines"');
  const file = path.join(dir, 'quoted.csv');
  const output = new CsvOutput(file);
  await output.start({ dir, info: runInfo('run-quoted', 'fan-out, "big"') });
  output.addPoint(point(0, 20));
  await output.stop(undefined);
  const row = readText(file)
    .split('\n')
    .find((line) => line.startsWith('messages_delivered,'));
  const second = Date.UTC(2026, 10, 23, 12, 0, 1) / 1000;
  assert.equal(row, `messages_delivered,${second},20.000000,,,,,,,,,"fan-out, ""big""",,,,,,run_id=run-quoted,`);
});
