/**
 * The root types lib/grafana-schema.ts has ts-json-schema-generator turn into JSON Schema. All come from
 * `@grafana/schema`, which Grafana generates from its CUE definitions: the dashboard kind and, for each panel plugin
 * the dashboards use, its `Options` and `FieldConfig` (the raw `*_types.gen` modules, not the package's hand-written
 * veneer); plus the two types the check puts where the dashboard kind is narrower or vaguer than Grafana
 * (lib/grafana-schema.ts says why). Named aliases, because the generator finds a root type by its declared name and
 * every plugin calls its own `Options`.
 */
import type { DataQuery } from '@grafana/schema';
import type * as DashboardV2 from '@grafana/schema/apis/dashboard.grafana.app/v2';
import type * as BarChart from '@grafana/schema/dist/esm/raw/composable/barchart/panelcfg/x/BarChartPanelCfg_types.gen';
import type * as Heatmap from '@grafana/schema/dist/esm/raw/composable/heatmap/panelcfg/x/HeatmapPanelCfg_types.gen';
import type * as Stat from '@grafana/schema/dist/esm/raw/composable/stat/panelcfg/x/StatPanelCfg_types.gen';
import type * as Table from '@grafana/schema/dist/esm/raw/composable/table/panelcfg/x/TablePanelCfg_types.gen';
import type * as TimeSeries from '@grafana/schema/dist/esm/raw/composable/timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen';

export type { Dashboard } from '@grafana/schema/dist/esm/raw/dashboard/x/Dashboard_types.gen';

export type TimeseriesOptions = TimeSeries.Options;
export type TimeseriesFieldConfig = TimeSeries.FieldConfig;
export type HeatmapOptions = Heatmap.Options;
export type HeatmapFieldConfig = Heatmap.FieldConfig;
export type StatOptions = Stat.Options;
export type TableOptions = Table.Options;
export type TableFieldConfig = Table.FieldConfig;
export type BarchartOptions = BarChart.Options;
export type BarchartFieldConfig = BarChart.FieldConfig;

/**
 * What every datasource's query extends (`@grafana/schema`'s own `AnnotationQuery` types `target` with it). Copied key
 * by key, because the package declares two `DataQuery`s (the veneer's extends the generated one) and the generator
 * will not give two definitions one name.
 */
export type AnnotationTargetQuery = Pick<DataQuery, keyof DataQuery>;
/** A field's data link, as Grafana's v2 dashboard schema types it (the v1 kind says only `Array<unknown>`). */
export type FieldDataLink = DashboardV2.DataLink;
