import type { ClickHouseClient } from '@clickhouse/client';
import type { Dashboard } from '@grafana/schema';
import { DASHBOARDS } from '../dashboards.ts';
import { expandGrafanaSql, type GrafanaQueryContext } from './grafana-macros.ts';

/** One SQL statement a dashboard sends: a panel target, a variable query or an annotation. */
export interface DashboardQuery {
  dashboard: string;
  /** `panel "Title" A`, `variable run`, `annotation …`. */
  where: string;
  rawSql: string;
}

function sqlOf(target: unknown): string | null {
  const rawSql = (target as { rawSql?: unknown } | undefined)?.rawSql;
  return typeof rawSql === 'string' ? rawSql : null;
}

export function queriesOf(name: string, dashboard: Dashboard): DashboardQuery[] {
  const out: DashboardQuery[] = [];
  for (const variable of dashboard.templating?.list ?? []) {
    const rawSql = sqlOf(variable.query);
    if (rawSql) out.push({ dashboard: name, where: `variable ${variable.name}`, rawSql });
  }
  for (const annotation of dashboard.annotations?.list ?? []) {
    const rawSql = sqlOf(annotation.target);
    if (rawSql) out.push({ dashboard: name, where: `annotation "${annotation.name}"`, rawSql });
  }
  for (const panel of dashboard.panels ?? []) {
    const targets = (panel as { targets?: unknown[] }).targets ?? [];
    for (const target of targets) {
      const rawSql = sqlOf(target);
      const refId = (target as { refId?: string }).refId ?? '?';
      if (rawSql) out.push({ dashboard: name, where: `panel "${panel.title}" ${refId}`, rawSql });
    }
  }
  return out;
}

/** Every SQL statement of every dashboard. */
export function allDashboardQueries(): DashboardQuery[] {
  return Object.entries(DASHBOARDS).flatMap(([name, build]) => queriesOf(name, build()));
}

export interface QueryOutcome extends DashboardQuery {
  sql: string;
  rows: number;
  error: string | null;
}

/**
 * Expands each query as Grafana would and runs it. The client's default database must be the results
 * database (dashboards use unqualified table names, as the datasource's `defaultDatabase` does).
 */
export async function runDashboardQueries(
  client: ClickHouseClient,
  queries: DashboardQuery[],
  context: GrafanaQueryContext,
): Promise<QueryOutcome[]> {
  const outcomes: QueryOutcome[] = [];
  for (const query of queries) {
    let sql = '';
    try {
      sql = expandGrafanaSql(query.rawSql, context);
      const result = await client.query({ query: sql, format: 'JSONEachRow' });
      const rows = (await result.json()) as unknown[];
      outcomes.push({ ...query, sql, rows: rows.length, error: null });
    } catch (error) {
      const message = (error as Error).message.split('\n')[0] ?? String(error);
      outcomes.push({ ...query, sql, rows: 0, error: message.length > 400 ? `${message.slice(0, 400)}…` : message });
    }
  }
  return outcomes;
}
