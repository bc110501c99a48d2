import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  formatBytes,
  formatCompact,
  formatCount,
  formatMetricValue,
  formatMs,
  formatNumber,
  formatOffset,
  formatPercent,
  formatPercentChange,
  formatPerSecond,
  formatPValue,
  formatRunLength,
  formatSeconds,
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

test('below a millisecond two significant digits keep microseconds visible; rounding up changes the unit', () => {
  assert.equal(formatMs(0.84), '0.84 ms');
  assert.equal(formatMs(0.0125), '0.013 ms');
  assert.equal(formatMs(0.004), '0.004 ms');
  assert.equal(formatMs(999.4), '999 ms');
  assert.equal(formatMs(999.6), '1 s');
  assert.equal(formatMs(3_600_000), '3,600 s');
  assert.equal(formatSeconds(12.34), '12.3 s');
  assert.equal(formatSeconds(0.85), '850 ms');
  assert.equal(formatSeconds(undefined), NO_DATA);
});

test('plain numbers are grouped and keep up to two decimals unless asked', () => {
  assert.equal(formatNumber(1000), '1,000');
  assert.equal(formatNumber(9.5), '9.5');
  assert.equal(formatNumber(2 / 3), '0.67');
  assert.equal(formatNumber(1234.5678, 1), '1,234.6');
  assert.equal(formatNumber(null), NO_DATA);
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
  assert.equal(formatRunLength(45), '45 s');
  assert.equal(formatRunLength(600), '10 min');
  assert.equal(formatRunLength(605), '10 min 5 s');
  assert.equal(formatRunLength(3720), '1 h 2 min');
  assert.equal(formatOffset(5), '0:05');
  assert.equal(formatOffset(750), '12:30');
  assert.equal(formatOffset(3723), '1:02:03');
});

test('a metric aggregate is shown in the unit of what it measures', () => {
  assert.equal(formatMetricValue('delivery_latency', 'p', 16.1), '16.1 ms');
  assert.equal(formatMetricValue('messages_lost', 'count', 37), '37');
  assert.equal(formatMetricValue('messages_delivered', 'rate', 9506), '9,506/s');
  assert.equal(formatMetricValue('subscribers_connected', 'value', 1000), '1,000');
  assert.equal(formatMetricValue('subscribers_connected', 'value', 9.5), '9.5', 'not rounded up to a passing 10');
  assert.equal(formatMetricValue('not_a_metric', 'avg', 0.5), '0.5');
  assert.equal(formatMetricValue('delivery_latency', 'p', null), NO_DATA);
});

test('percent changes carry their direction, p-values their comparison', () => {
  assert.equal(formatPercentChange(2), '+200.0 %');
  assert.equal(formatPercentChange(-0.052), '−5.2 %');
  assert.equal(formatPercentChange(0), '±0.0 %');
  assert.equal(formatPercentChange(null), 'n/a');
  assert.equal(formatPValue(0.0864), 'p=0.086');
  assert.equal(formatPValue(0.0001), 'p<0.001');
  assert.equal(formatPValue(null), NO_DATA);
});
