/**
 * `junit.xml`: one <testsuite> per run, one <testcase> per threshold (a <failure> carries the measured
 * value) and a testcase "run is valid"; a comparison of runs has its own (comparison-summary.ts). CI
 * systems (GitHub, GitLab, Jenkins) show these as tests.
 */

import type { RunSummary } from '../../common/summary-types.ts';
import { formatThresholdValue } from './measured-values.ts';

// Characters XML 1.0 cannot carry at all (even escaped): most C0 controls, lone surrogates, U+FFFE/FFFF.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching the characters XML forbids is the point
const NOT_XML = /[^\u0009\u000A\u000D\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Escapes text for an XML attribute or element body; drops characters XML cannot represent. */
export function escapeXml(text: string): string {
  return text
    .replace(NOT_XML, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

interface Case {
  classname: string;
  name: string;
  failure?: { type: string; message: string; body?: string };
  skipped?: string;
}

function testcase(c: Case): string {
  const open = `    <testcase classname="${escapeXml(c.classname)}" name="${escapeXml(c.name)}" time="0"`;
  if (c.failure) {
    const body = c.failure.body ? escapeXml(c.failure.body) : '';
    return `${open}>\n      <failure type="${escapeXml(c.failure.type)}" message="${escapeXml(c.failure.message)}">${body}</failure>\n    </testcase>`;
  }
  if (c.skipped !== undefined) return `${open}>\n      <skipped message="${escapeXml(c.skipped)}"/>\n    </testcase>`;
  return `${open}/>`;
}

export function renderJunit(summary: RunSummary): string {
  const cases: Case[] = [];
  cases.push({
    classname: 'run',
    name: 'run is valid',
    ...(summary.valid
      ? {}
      : {
          failure: {
            type: 'invalid-run',
            message: `invalid run: ${summary.invalidReasons.join('; ') || 'no reason recorded'}`,
            body: summary.invalidReasons.join('\n'),
          },
        }),
  });
  for (const t of summary.thresholds) {
    const measured = formatThresholdValue(t);
    cases.push({
      classname: `thresholds.${t.metric}`,
      name: t.expression,
      ...(t.ok ? {} : { failure: { type: 'threshold', message: `${t.metric} ${measured}, expected ${t.expression}` } }),
    });
  }
  const failures = cases.filter((c) => c.failure).length;
  const skipped = cases.filter((c) => c.skipped !== undefined).length;
  const suite = `centrifugo-bench ${summary.scenario}`;
  // JUnit's time is a machine number (seconds, '.' decimals, no grouping), not text for a reader.
  const time = String(Number(summary.durationS.toFixed(3)));
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="centrifugo-bench" tests="${cases.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${time}">`,
    `  <testsuite name="${escapeXml(suite)}" tests="${cases.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${time}" timestamp="${escapeXml(summary.startedAt)}">`,
    '    <properties>',
    `      <property name="runId" value="${escapeXml(summary.runId)}"/>`,
    `      <property name="valid" value="${summary.valid}"/>`,
    ...(summary.aborted
      ? [`      <property name="aborted" value="${escapeXml(`${summary.aborted.by}: ${summary.aborted.reason}`)}"/>`]
      : []),
    '    </properties>',
    ...cases.map(testcase),
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
