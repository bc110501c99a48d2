/**
 * A small typed layer over Grafana's dashboard JSON (types from `@grafana/schema`), with a ClickHouse
 * query target the foundation SDK does not have. Dashboards are plain data built from these helpers;
 * dashboards/build.ts writes them to dashboards/generated/*.json.
 */
import type { Dashboard, DataSourceRef, Panel, VariableModel } from '@grafana/schema';
import {
  AxisPlacement,
  BigValueColorMode,
  BigValueGraphMode,
  BigValueJustifyMode,
  BigValueTextMode,
  GraphDrawStyle,
  HeatmapCellLayout,
  LegendDisplayMode,
  SortOrder,
  StackingMode,
  TooltipDisplayMode,
  VariableHide,
  VariableRefresh,
  VariableSort,
  VisibilityMode,
  VizOrientation,
} from '@grafana/schema';
import type { Options as BarChartOptions } from '@grafana/schema/dist/esm/raw/composable/barchart/panelcfg/x/BarChartPanelCfg_types.gen';
import {
  HeatmapColorMode,
  HeatmapColorScale,
  type Options as HeatmapOptions,
} from '@grafana/schema/dist/esm/raw/composable/heatmap/panelcfg/x/HeatmapPanelCfg_types.gen';
import type { Options as StatOptions } from '@grafana/schema/dist/esm/raw/composable/stat/panelcfg/x/StatPanelCfg_types.gen';
import type { Options as TableOptions } from '@grafana/schema/dist/esm/raw/composable/table/panelcfg/x/TablePanelCfg_types.gen';
import type { Options as TimeSeriesOptions } from '@grafana/schema/dist/esm/raw/composable/timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen';

export const PLUGIN_ID = 'grafana-clickhouse-datasource';
/** The provisioned datasource (dashboards/provisioning/datasources/clickhouse.yaml) has this uid. */
export const DATASOURCE_UID = 'centrifugo-bench-clickhouse';
export const DATASOURCE: DataSourceRef = { type: PLUGIN_ID, uid: DATASOURCE_UID };
export const SCHEMA_VERSION = 41;

/** The plugin's query model (CHDS src/types/sql.ts): format 0 = time series, 1 = table. */
export interface ClickHouseTarget {
  refId: string;
  datasource: DataSourceRef;
  editorType: 'sql';
  rawSql: string;
  format: 0 | 1;
  queryType: 'timeseries' | 'table';
  [key: string]: unknown;
}

export function clickhouseTarget(rawSql: string, format: 'time_series' | 'table', refId = 'A'): ClickHouseTarget {
  const timeSeries = format === 'time_series';
  return {
    refId,
    datasource: DATASOURCE,
    editorType: 'sql',
    rawSql: rawSql.trim(),
    format: timeSeries ? 0 : 1,
    queryType: timeSeries ? 'timeseries' : 'table',
  };
}

export interface PanelBase {
  title: string;
  description?: string;
  /** Width in grid columns (of 24) and height in rows. */
  w?: number;
  h?: number;
  unit?: string;
  decimals?: number;
  links?: { title: string; url: string }[];
}

/** A panel before layout: `gridPos` and `id` are given by `dashboard()`. */
export type PanelDraft = Panel & { w: number; h: number };

function base(kind: string, spec: PanelBase, sql: string | string[], format: 'time_series' | 'table'): PanelDraft {
  const queries = Array.isArray(sql) ? sql : [sql];
  return {
    type: kind,
    title: spec.title,
    description: spec.description ?? '',
    datasource: DATASOURCE,
    targets: queries.map((q, i) => clickhouseTarget(q, format, String.fromCharCode(65 + i))),
    fieldConfig: {
      defaults: {
        ...(spec.unit ? { unit: spec.unit } : {}),
        ...(spec.decimals !== undefined ? { decimals: spec.decimals } : {}),
        ...(spec.links ? { links: spec.links } : {}),
      },
      overrides: [],
    },
    w: spec.w ?? 12,
    h: spec.h ?? 8,
  };
}

export function timeseries(
  spec: PanelBase & { stack?: boolean; bars?: boolean; logScale?: boolean },
  sql: string | string[],
): PanelDraft {
  const panel = base('timeseries', spec, sql, 'time_series');
  const options: TimeSeriesOptions = {
    legend: { displayMode: LegendDisplayMode.List, placement: 'bottom', showLegend: true, calcs: [] },
    tooltip: { mode: TooltipDisplayMode.Multi, sort: SortOrder.Descending },
  };
  panel.options = options as unknown as Record<string, unknown>;
  panel.fieldConfig!.defaults.custom = {
    drawStyle: spec.bars ? GraphDrawStyle.Bars : GraphDrawStyle.Line,
    lineWidth: 1,
    fillOpacity: spec.stack || spec.bars ? 60 : 10,
    showPoints: VisibilityMode.Never,
    spanNulls: false,
    stacking: { mode: spec.stack ? StackingMode.Normal : StackingMode.None, group: 'A' },
    axisPlacement: AxisPlacement.Auto,
    ...(spec.logScale ? { scaleDistribution: { type: 'log', log: 2 } } : {}),
  };
  return panel;
}

/** A heatmap of pre-bucketed rows: columns `time`, `le` (bucket upper bound, as text) and a count. */
export function heatmap(spec: PanelBase, sql: string): PanelDraft {
  const panel = base('heatmap', spec, sql, 'time_series');
  const options: HeatmapOptions = {
    calculate: false,
    rowsFrame: { layout: HeatmapCellLayout.le },
    cellGap: 1,
    color: {
      mode: HeatmapColorMode.Scheme,
      scheme: 'Oranges',
      scale: HeatmapColorScale.Exponential,
      exponent: 0.5,
      steps: 64,
      fill: 'dark-orange',
      reverse: false,
    },
    exemplars: { color: 'rgba(255,0,255,0.7)' },
    filterValues: { le: 1e-9 },
    legend: { show: true },
    showValue: VisibilityMode.Never,
    tooltip: { mode: TooltipDisplayMode.Single, yHistogram: true, showColorScale: false },
    yAxis: { axisPlacement: AxisPlacement.Left, unit: spec.unit ?? 'ms', reverse: false },
  };
  panel.options = options as unknown as Record<string, unknown>;
  return panel;
}

export interface StatSpec extends PanelBase {
  thresholds?: { color: string; value: number | null }[];
  /** Text values → colours (verdicts). */
  colors?: Record<string, string>;
}

export function stat(spec: StatSpec, sql: string): PanelDraft {
  const panel = base('stat', { w: 4, h: 4, ...spec }, sql, 'table');
  const options: StatOptions = {
    reduceOptions: { calcs: ['lastNotNull'], fields: '/.*/', values: false },
    orientation: VizOrientation.Auto,
    colorMode: spec.thresholds || spec.colors ? BigValueColorMode.Background : BigValueColorMode.None,
    graphMode: BigValueGraphMode.None,
    justifyMode: BigValueJustifyMode.Auto,
    textMode: BigValueTextMode.Value,
    wideLayout: true,
    showPercentChange: false,
    percentChangeColorMode: 'standard' as StatOptions['percentChangeColorMode'],
  };
  panel.options = options as unknown as Record<string, unknown>;
  if (spec.thresholds) {
    panel.fieldConfig!.defaults.thresholds = { mode: 'absolute' as never, steps: spec.thresholds };
    panel.fieldConfig!.defaults.color = { mode: 'thresholds' as never };
  }
  if (spec.colors) {
    const options = Object.fromEntries(
      Object.entries(spec.colors).map(([value, color], index) => [value, { color, index }]),
    );
    panel.fieldConfig!.defaults.mappings = [{ type: 'value' as never, options }];
  }
  return panel;
}

export function table(spec: PanelBase, sql: string): PanelDraft {
  const panel = base('table', { w: 24, h: 8, ...spec }, sql, 'table');
  const options: TableOptions = { showHeader: true, frameIndex: 0, cellHeight: 'sm' as TableOptions['cellHeight'] };
  panel.options = options as unknown as Record<string, unknown>;
  return panel;
}

/** Bars per category: the first string column is the x axis, numeric columns are the bars. */
export function barchart(spec: PanelBase & { xField: string }, sql: string): PanelDraft {
  const panel = base('barchart', spec, sql, 'table');
  const options: BarChartOptions = {
    xField: spec.xField,
    orientation: VizOrientation.Auto,
    showValue: VisibilityMode.Auto,
    stacking: StackingMode.None,
    barWidth: 0.8,
    groupWidth: 0.7,
    fullHighlight: false,
    xTickLabelRotation: 0,
    xTickLabelMaxLength: 24,
    legend: { displayMode: LegendDisplayMode.List, placement: 'bottom', showLegend: true, calcs: [] },
    tooltip: { mode: TooltipDisplayMode.Multi, sort: SortOrder.None },
  };
  panel.options = options as unknown as Record<string, unknown>;
  return panel;
}

export interface QueryVariableSpec {
  name: string;
  label: string;
  /** One column (value = label) or two (value, label): CHDS src/data/CHDatasource.ts metricFindQuery. */
  sql: string;
  multi?: boolean;
  includeAll?: boolean;
}

/** A query variable as the plugin ships them (object query with `rawSql`), refreshed with the time range. */
export function queryVariable(spec: QueryVariableSpec): VariableModel {
  const variable: VariableModel = {
    type: 'query',
    name: spec.name,
    label: spec.label,
    datasource: DATASOURCE,
    query: { editorType: 'sql', rawSql: spec.sql.trim(), format: 1, queryType: 'table' },
    refresh: VariableRefresh.onTimeRangeChanged,
    multi: spec.multi ?? false,
    includeAll: spec.includeAll ?? false,
    sort: VariableSort.disabled,
    options: [],
    hide: VariableHide.dontHide,
    skipUrlSync: false,
  };
  return variable;
}

export interface DashboardSpec {
  uid: string;
  title: string;
  description: string;
  tags?: string[];
  variables: VariableModel[];
  /** An annotation query: columns `time`, `text`, `tags`. */
  annotationSql?: string;
  panels: PanelDraft[];
  time?: { from: string; to: string };
  refresh?: string;
}

/** Lays panels out left to right in rows of 24 columns and numbers them (provisioned files need ids). */
export function dashboard(spec: DashboardSpec): Dashboard {
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  const panels: Panel[] = spec.panels.map((draft, index) => {
    const { w, h, ...panel } = draft;
    if (x + w > 24) {
      x = 0;
      y += rowHeight;
      rowHeight = 0;
    }
    const placed: Panel = { ...panel, id: index + 1, gridPos: { x, y, w, h } };
    x += w;
    rowHeight = Math.max(rowHeight, h);
    return placed;
  });
  return {
    uid: spec.uid,
    title: spec.title,
    description: spec.description,
    tags: ['centrifugo-bench', ...(spec.tags ?? [])],
    editable: true,
    graphTooltip: 1,
    schemaVersion: SCHEMA_VERSION,
    version: 1,
    time: spec.time ?? { from: 'now-1h', to: 'now' },
    timepicker: {},
    timezone: 'browser',
    refresh: spec.refresh ?? '5s',
    links: [
      {
        title: 'Centrifugo bench',
        type: 'dashboards',
        tags: ['centrifugo-bench'],
        asDropdown: true,
        includeVars: true,
        keepTime: true,
        // Required by Grafana's schema; the values Grafana itself saves for a dashboards dropdown.
        icon: 'external link',
        tooltip: '',
        targetBlank: false,
      },
    ],
    templating: { list: spec.variables },
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: { type: 'grafana', uid: '-- Grafana --' },
          enable: true,
          hide: true,
          iconColor: 'rgba(0, 211, 255, 1)',
          name: 'Annotations & Alerts',
          type: 'dashboard',
        },
        ...(spec.annotationSql
          ? [
              {
                name: 'Run timeline (phases, faults)',
                datasource: DATASOURCE,
                enable: true,
                hide: false,
                iconColor: 'red',
                // @grafana/schema types `target` as the built-in Grafana annotation target (its TODO: "should be a
                // regular DataQuery"); a datasource annotation stores its own query here.
                target: clickhouseTarget(spec.annotationSql, 'table') as never,
              },
            ]
          : []),
      ],
    },
    panels,
  };
}
