/**
 * The outputs a run writes to, like k6's `--out`: the terminal progress line and the run's files always;
 * the HTML report unless --no-report (or the scenario's results.report: false); ClickHouse when the
 * scenario's results.clickhouse or `--out clickhouse[=url]` asks for it. Selection happens in the plan
 * (frozen data); the outputs themselves are made when the run starts, in this order — the order they stop
 * in, so the files are complete before ClickHouse backfills from them or the report reads them.
 *
 * A new output: a file beside this one implementing ./output.ts, a name in OUTPUTS, a line in createOutputs.
 */
import { UserError } from '../../common/errors.ts';
import { checkTargetUrls } from '../../common/loopback.ts';
import { ClickHouseOutput } from './clickhouse.ts';
import { FilesOutput } from './files.ts';
import type { Output } from './output.ts';
import { ProgressOutput } from './progress.ts';
import { ReportOutput } from './report.ts';

export type { Output, RunEnd, RunStart } from './output.ts';
export { ReportOutput };

/** What `--out` accepts: name, argument, and what it does. */
export const OUTPUTS = {
  clickhouse: {
    arg: '[=url]',
    does: "stream the run into ClickHouse (default: $CENTRIFUGO_BENCH_CLICKHOUSE_URL, the `stack up` stack's, or the run's own)",
  },
  report: { arg: '', does: 'write report.html (on by default; --no-report turns it off)' },
} as const;

export interface OutputSelection {
  readonly report: boolean;
  /**
   * Where live results go: a URL, or the run's own stack's ClickHouse (`fromStack`: the plan adds the
   * service to the stack). Undefined: no ClickHouse output.
   */
  readonly clickhouse?: { readonly url?: string; readonly fromStack: boolean };
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
  for (const out of input.outs) {
    const eq = out.indexOf('=');
    const name = eq === -1 ? out : out.slice(0, eq);
    const arg = eq === -1 ? undefined : out.slice(eq + 1);
    if (name === 'clickhouse') {
      clickhouse = arg || true;
      clickhouseFrom = '--out clickhouse';
    } else if (name === 'report' && arg === undefined) report = true;
    else {
      const known = Object.entries(OUTPUTS).map(([n, o]) => `${n}${o.arg}`);
      throw new UserError(`--out ${out}: unknown output; use one of ${known.join(', ')} (files are always written)`);
    }
  }
  const selection: { report: boolean; clickhouse?: { url?: string; fromStack: boolean } } = {
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
  return selection;
}

/** The run's outputs, in stopping order. `stackClickHouseUrl`: the started stack's ClickHouse, if it has one. */
export function createOutputs(selection: OutputSelection, run: { dir: string; stackClickHouseUrl?: string }): Output[] {
  const outputs: Output[] = [new ProgressOutput(), new FilesOutput(run.dir)];
  const clickhouseUrl = selection.clickhouse?.url ?? (selection.clickhouse ? run.stackClickHouseUrl : undefined);
  if (clickhouseUrl) outputs.push(new ClickHouseOutput(clickhouseUrl));
  if (selection.report) outputs.push(new ReportOutput());
  return outputs;
}
