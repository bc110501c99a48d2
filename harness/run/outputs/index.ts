/**
 * The outputs a run writes to, like k6's `--out`: the terminal progress line and the run's files always;
 * the HTML report unless --no-report (or the scenario's results.report: false); ClickHouse when the
 * scenario's results.clickhouse or `--out clickhouse[=url]` asks for it; Prometheus remote write with
 * `--out prometheus[=url]`; k6-format files with `--out json=<file>` and `--out csv=<file>` (repeatable).
 * Selection happens in the plan (frozen data); the outputs themselves are made when the run starts, in this
 * order — the order they stop in, so the files are complete before ClickHouse backfills from them or the
 * report reads them.
 *
 * A new output: a file beside this one implementing ./output.ts, a name in OUTPUTS, a line in createOutputs.
 */
import { UserError } from '../../common/errors.ts';
import { checkTargetUrls } from '../../common/loopback.ts';
import { ClickHouseOutput } from './clickhouse.ts';
import { CsvOutput } from './csv.ts';
import { FilesOutput } from './files.ts';
import { JsonOutput } from './json.ts';
import { outputFilePath } from './line-file.ts';
import type { Output } from './output.ts';
import { ProgressOutput } from './progress.ts';
import { defaultPrometheusRemoteWriteUrl, PrometheusOutput } from './prometheus.ts';
import { ReportOutput } from './report.ts';

export type { Output, RunEnd, RunStart } from './output.ts';
export { ReportOutput };

/** What `--out` accepts: name, argument, and what it does. */
export const OUTPUTS = {
  clickhouse: {
    arg: '[=url]',
    does: "stream the run into ClickHouse (default: $CENTRIFUGO_BENCH_CLICKHOUSE_URL, the `stack up` stack's, or the run's own)",
  },
  prometheus: {
    arg: '[=url]',
    does: 'push per-second metrics to a Prometheus remote-write receiver (default: $CENTRIFUGO_BENCH_PROMETHEUS_RW_URL, else http://127.0.0.1:9090/api/v1/write)',
  },
  report: { arg: '', does: 'write report.html (on by default; --no-report turns it off)' },
  json: {
    arg: '=<file>',
    does: "k6's JSON lines: a Metric line per metric, a Point per metric per second (.gz: gzipped)",
  },
  csv: { arg: '=<file>', does: "k6's CSV columns, a row per metric per second (.gz: gzipped)" },
} as const;

export interface OutputSelection {
  readonly report: boolean;
  /**
   * Where live results go: a URL, or the run's own stack's ClickHouse (`fromStack`: the plan adds the
   * service to the stack). Undefined: no ClickHouse output.
   */
  readonly clickhouse?: { readonly url?: string; readonly fromStack: boolean };
  /** Prometheus's remote-write URL, when `--out prometheus` asks for it. */
  readonly prometheus?: { readonly url: string };
  /** k6-format files (`--out json=<file>`, `--out csv=<file>`, repeatable): absolute paths, folders checked. */
  readonly json?: readonly string[];
  readonly csv?: readonly string[];
}

export interface SelectInput {
  /** `--out name[=arg]` values. */
  outs: readonly string[];
  /** The scenario's `results` section. */
  results: { clickhouse: boolean | string; report: boolean };
  /** false with --no-report. */
  report: boolean;
  /** The ClickHouse that outlives runs ($CENTRIFUGO_BENCH_CLICKHOUSE_URL or a `stack up` stack's), if any. */
  keptClickHouseUrl: string | undefined;
  /** The scenario's stack.allowRemoteTargets: without it a ClickHouse URL must be loopback, like every target. */
  allowRemoteTargets: boolean;
}

export function selectOutputs(input: SelectInput): OutputSelection {
  let clickhouse: boolean | string = input.results.clickhouse;
  let clickhouseFrom = 'results.clickhouse';
  let report = input.results.report;
  let prometheus: { url: string; from: string } | undefined;
  const files = { json: [] as string[], csv: [] as string[] };
  const fileOptions = new Map<string, string>();
  for (const out of input.outs) {
    const eq = out.indexOf('=');
    const name = eq === -1 ? out : out.slice(0, eq);
    const arg = eq === -1 ? undefined : out.slice(eq + 1);
    if (name === 'clickhouse') {
      clickhouse = arg || true;
      clickhouseFrom = '--out clickhouse';
    } else if (name === 'prometheus') {
      prometheus = arg ? { url: arg, from: '--out prometheus' } : defaultPrometheusRemoteWriteUrl();
    } else if (name === 'json' || name === 'csv') {
      const file = outputFilePath(name, arg);
      const earlier = fileOptions.get(file);
      if (earlier) throw new UserError(`--out ${out}: ${arg} is already written by --out ${earlier}`);
      fileOptions.set(file, out);
      files[name].push(file);
    } else if (name === 'report' && arg === undefined) report = true;
    else {
      const known = Object.entries(OUTPUTS).map(([n, o]) => `${n}${o.arg}`);
      throw new UserError(`--out ${out}: unknown output; use one of ${known.join(', ')} (files are always written)`);
    }
  }
  const selection: {
    report: boolean;
    clickhouse?: { url?: string; fromStack: boolean };
    prometheus?: { url: string };
    json?: string[];
    csv?: string[];
  } = {
    report: report && input.report,
  };
  if (typeof clickhouse === 'string') selection.clickhouse = { url: clickhouse, fromStack: false };
  else if (clickhouse) {
    selection.clickhouse = input.keptClickHouseUrl
      ? { url: input.keptClickHouseUrl, fromStack: false }
      : { fromStack: true };
  }
  if (selection.clickhouse?.url) {
    const from = typeof clickhouse === 'string' ? clickhouseFrom : '$CENTRIFUGO_BENCH_CLICKHOUSE_URL';
    checkTargetUrls([{ name: from, url: selection.clickhouse.url }], input.allowRemoteTargets);
  }
  if (prometheus) {
    checkTargetUrls([{ name: prometheus.from, url: prometheus.url }], input.allowRemoteTargets);
    selection.prometheus = { url: prometheus.url };
  }
  if (files.json.length) selection.json = files.json;
  if (files.csv.length) selection.csv = files.csv;
  return selection;
}

/** The run's outputs, in stopping order. `stackClickHouseUrl`: the started stack's ClickHouse, if it has one. */
export function createOutputs(
  selection: OutputSelection,
  run: { dir: string; stackClickHouseUrl?: string; shard?: string },
): Output[] {
  const outputs: Output[] = [new ProgressOutput(), new FilesOutput(run.dir)];
  const clickhouseUrl = selection.clickhouse?.url ?? (selection.clickhouse ? run.stackClickHouseUrl : undefined);
  if (clickhouseUrl) outputs.push(new ClickHouseOutput(clickhouseUrl, run.shard));
  if (selection.prometheus) outputs.push(new PrometheusOutput(selection.prometheus.url));
  for (const file of selection.json ?? []) outputs.push(new JsonOutput(file));
  for (const file of selection.csv ?? []) outputs.push(new CsvOutput(file));
  if (selection.report) outputs.push(new ReportOutput());
  return outputs;
}
