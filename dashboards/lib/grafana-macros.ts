/**
 * What Grafana and the ClickHouse datasource plugin do to a panel's `rawSql` before ClickHouse sees it,
 * re-implemented for the macros the dashboards use, so tests can run every panel's SQL as Grafana would.
 * Source: grafana/clickhouse-datasource@1d04063a (v4.20.0+):
 *
 * 1. Frontend, `applyTemplateVariables` (src/data/CHDatasource.ts:522): first `applyConditionalAll`
 *    (:605) — `$__conditionalAll(cond, $var)` becomes `1=1` when $var's value is '' or "All"
 *    (`$__all`), else `cond`; arguments split at top-level commas (`getMacroArgs`, :851); then
 *    Grafana's template interpolation with the plugin's `format` (:884): a multi value is
 *    `'a','b'`, a single value is inserted raw; `${var:singlequote}` quotes each value
 *    (Grafana's formatter: `'v'` joined by ',', `'` escaped as `\'`).
 * 2. Backend, `macros.Interpolate` (pkg/macros/macros.go) via grafana/macropro:
 *    `$__timeFilter(c)` → `c >= toDateTime(<from s>) AND c <= toDateTime(<to s>)`,
 *    `$__timeFrom(c)` / `$__timeTo(c)`, `$__fromTime` / `$__toTime` → `toDateTime(<unix s>)`,
 *    `$__dateFilter(c)` → `c >= toDate('YYYY-MM-DD') AND c <= toDate(…)`,
 *    `$__interval_s` → `max(interval seconds, 1)` truncated to an integer.
 *
 * Macros that emit SQL 18.16 cannot run — `$__timeInterval`, `$__timeGroup` (toStartOfInterval) and
 * every `*_ms` macro (fromUnixTimestamp64Milli / DateTime64) — are rejected here, so a dashboard
 * that used one fails its test.
 */

export interface VariableValue {
  /** Selected values; `['$__all']` means "All". */
  current: string[];
  /** Every option (what "All" expands to). */
  options: string[];
}

export interface GrafanaQueryContext {
  from: Date;
  to: Date;
  /** The panel's interval (Grafana derives it from the time range and the panel width). */
  intervalMs: number;
  variables: Record<string, VariableValue>;
}

export const UNSUPPORTED_ON_18_16 = [
  '$__timeInterval',
  '$__timeInterval_ms',
  '$__timeGroup',
  '$__timeFilter_ms',
  '$__fromTime_ms',
  '$__toTime_ms',
] as const;

/** Arguments of the call whose `(` is at `open`: split at top-level commas (CHDS getMacroArgs). */
function macroArgs(sql: string, open: number): { args: string[]; end: number } | null {
  let depth = 0;
  let last = open + 1;
  const args: string[] = [];
  for (let i = open; i < sql.length; i++) {
    const c = sql[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    if (c === ',' && depth === 1) {
      args.push(sql.slice(last, i));
      last = i + 1;
    }
    if (depth === 0) {
      args.push(sql.slice(last, i));
      return { args, end: i + 1 };
    }
  }
  return null;
}

function isAll(value: VariableValue | undefined): boolean {
  if (!value) return false;
  const text = value.current.join(',');
  return text === '' || text === '$__all';
}

/** CHDS applyConditionalAll: innermost-last, like the plugin (it scans with lastIndexOf). */
export function applyConditionalAll(sql: string, variables: Record<string, VariableValue>): string {
  const macro = '$__conditionalAll(';
  let out = sql;
  let index = out.lastIndexOf(macro);
  while (index !== -1) {
    const parsed = macroArgs(out, index + macro.length - 1);
    if (parsed?.args.length !== 2) return out;
    const [condition, variable] = parsed.args as [string, string];
    const name = /(?<=\$\{)[\w\d]+(?=\})|(?<=\$)[\w\d]+/.exec(variable.trim())?.[0];
    const phrase = name && isAll(variables[name]) ? '1=1' : condition;
    out = out.slice(0, index) + phrase + out.slice(parsed.end);
    index = out.lastIndexOf(macro);
  }
  return out;
}

function selected(value: VariableValue): string[] {
  return value.current.length === 1 && value.current[0] === '$__all' ? value.options : value.current;
}

/** Grafana's template interpolation: `$var`, `${var}`, `${var:singlequote}`, `${var:csv}`, `${var:raw}`. */
export function interpolateVariables(sql: string, variables: Record<string, VariableValue>): string {
  return sql.replace(/\$\{(\w+)(?::(\w+))?\}|\$(\w+)/g, (match, braced, format, bare) => {
    const name = (braced ?? bare) as string;
    if (name.startsWith('__')) return match; // $__macros are the plugin's, not variables
    const value = variables[name];
    if (!value) return match;
    const values = selected(value);
    switch (format) {
      case undefined:
        // The plugin's own format(): arrays quoted, one value raw.
        return values.length === 1 && !(value.current.length > 1) ? values[0]! : `'${values.join("','")}'`;
      case 'singlequote':
        return values.map((v) => `'${v.replace(/'/g, "\\'")}'`).join(',');
      case 'csv':
      case 'raw':
        return values.join(',');
      default:
        throw new Error(`variable format ${format} is not re-implemented here`);
    }
  });
}

function toDateTime(date: Date): string {
  return `toDateTime(${Math.floor(date.getTime() / 1000)})`;
}

function toDate(date: Date): string {
  return `toDate('${date.toISOString().slice(0, 10)}')`;
}

/** The backend macros (CHDS pkg/macros/macros.go). */
export function expandMacros(sql: string, context: GrafanaQueryContext): string {
  for (const forbidden of UNSUPPORTED_ON_18_16) {
    if (new RegExp(`\\${forbidden}\\b`).test(sql)) {
      throw new Error(
        `${forbidden} expands to SQL ClickHouse 18.16 cannot run; use the portable form (see dashboards/README.md)`,
      );
    }
  }
  const withArgs: Record<string, (args: string[]) => string> = {
    timeFilter: ([c]) => `${c} >= ${toDateTime(context.from)} AND ${c} <= ${toDateTime(context.to)}`,
    timeFrom: ([c]) => `${c} >= ${toDateTime(context.from)}`,
    timeTo: ([c]) => `${c} <= ${toDateTime(context.to)}`,
    dateFilter: ([c]) => `${c} >= ${toDate(context.from)} AND ${c} <= ${toDate(context.to)}`,
  };
  const plain: Record<string, () => string> = {
    fromTime: () => toDateTime(context.from),
    toTime: () => toDateTime(context.to),
    interval_s: () => String(Math.trunc(Math.max(context.intervalMs / 1000, 1))),
  };
  let out = '';
  let i = 0;
  const re = /\$__(\w+)/g;
  for (let m = re.exec(sql); m; m = re.exec(sql)) {
    const name = m[1]!;
    out += sql.slice(i, m.index);
    const after = m.index + m[0].length;
    const call = withArgs[name];
    if (call) {
      const parsed = sql[after] === '(' ? macroArgs(sql, after) : null;
      if (!parsed) throw new Error(`$__${name} needs arguments`);
      out += call(parsed.args.map((a) => a.trim()));
      i = parsed.end;
    } else if (plain[name]) {
      out += plain[name]();
      i = after;
    } else {
      throw new Error(`macro $__${name} is not re-implemented here (add it, citing the plugin source)`);
    }
    re.lastIndex = i;
  }
  return out + sql.slice(i);
}

/** rawSql → the SQL ClickHouse receives from Grafana. */
export function expandGrafanaSql(rawSql: string, context: GrafanaQueryContext): string {
  return expandMacros(interpolateVariables(applyConditionalAll(rawSql, context.variables), context.variables), context);
}
