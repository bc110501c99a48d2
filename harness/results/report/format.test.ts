import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  formatBytes,
  formatCompact,
  formatCount,
  formatDuration,
  formatMs,
  formatOffset,
  formatPercent,
  formatPerSecond,
  formatThresholdValue,
  NO_DATA,
} from './format.ts';

test('milliseconds carry their unit and switch to seconds past 1000 ms', () => {
  assert.equal(formatMs(0), '0 ms');
  assert.equal(formatMs(0.4219), '0.42 ms');
  assert.equal(formatMs(3.1), '3.1 ms');
  assert.equal(formatMs(12.345), '12.3 ms');
  assert.equal(formatMs(250.4), '250 ms');
  assert.equal(formatMs(1250), '1.25 s');
  assert.equal(formatMs(2345.6), '2.35 s');
  assert.equal(formatMs(12_345), '12.3 s');
  assert.equal(formatMs(125_000), '125 s');
  assert.equal(formatMs(null), NO_DATA);
  assert.equal(formatMs(Number.NaN), NO_DATA);
});

test('counts are grouped, rates are compact and per second', () => {
  assert.equal(formatCount(5_673_650), '5,673,650');
  assert.equal(formatCount(0), '0');
  assert.equal(formatCompact(950), '950');
  assert.equal(formatCompact(9_506), '9,506');
  assert.equal(formatCompact(45_200), '45.2k');
  assert.equal(formatCompact(3_450_000), '3.45M');
  assert.equal(formatPerSecond(0.06), '0.06/s');
  assert.equal(formatPerSecond(9_506.5), '9,507/s');
  assert.equal(formatPerSecond(undefined), NO_DATA);
});

test('percentages keep three significant digits so tiny losses stay visible', () => {
  assert.equal(formatPercent(0), '0 %');
  assert.equal(formatPercent(37 / 5_703_600), '0.000649 %');
  assert.equal(formatPercent(0.125), '12.5 %');
  assert.equal(formatPercent(1), '100 %');
  assert.equal(formatPercent(107_994 / 108_000), '99.9944 %');
  assert.equal(formatPercent(0.995), '99.5 %');
  assert.equal(formatPercent(0.99), '99 %');
});

test('bytes, durations and clock offsets', () => {
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatBytes(212e6), '202 MiB');
  assert.equal(formatBytes(8 * 1024 ** 3), '8 GiB');
  assert.equal(formatDuration(45), '45 s');
  assert.equal(formatDuration(600), '10 min');
  assert.equal(formatDuration(605), '10 min 5 s');
  assert.equal(formatDuration(3720), '1 h 2 min');
  assert.equal(formatOffset(5), '0:05');
  assert.equal(formatOffset(750), '12:30');
  assert.equal(formatOffset(3723), '1:02:03');
});

test('threshold values are shown in the unit of what the expression compares', () => {
  assert.equal(formatThresholdValue('delivery_latency', 'p(99)<250', 16.1), '16.1 ms');
  assert.equal(formatThresholdValue('messages_lost', 'count==0', 37), '37');
  assert.equal(formatThresholdValue('messages_delivered', 'rate>9000', 9506), '9,506/s');
  assert.equal(formatThresholdValue('subscribers_connected', 'value>=1000', 1000), '1,000');
  assert.equal(formatThresholdValue('not_a_metric', 'avg<1', 0.5), '0.5');
  assert.equal(formatThresholdValue('delivery_latency', 'p(99)<250', null), NO_DATA);
});
