/**
 * Checks a generated dashboard against Grafana's own schema: the dashboard kind and, for each panel, its plugin's
 * `Options` and `FieldConfig` (what Grafana's PanelModel composes). The JSON Schemas are derived at run time by
 * ts-json-schema-generator from `@grafana/schema`'s TypeScript types, which Grafana generates from its CUE kinds
 * (lib/grafana-schema-types.ts names them) — so the check moves with the `@grafana/schema` version, and nothing is
 * copied into the project.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { createGenerator, type Definition } from 'ts-json-schema-generator';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The panel plugins the dashboards use, with the root types (lib/grafana-schema-types.ts) of their options. */
const PANEL_SCHEMA_TYPES = {
  timeseries: { options: 'TimeseriesOptions', fieldConfig: 'TimeseriesFieldConfig' },
  heatmap: { options: 'HeatmapOptions', fieldConfig: 'HeatmapFieldConfig' },
  // stat has no per-field settings: no FieldConfig.
  stat: { options: 'StatOptions' },
  table: { options: 'TableOptions', fieldConfig: 'TableFieldConfig' },
  barchart: { options: 'BarchartOptions', fieldConfig: 'BarchartFieldConfig' },
} satisfies Record<string, { options: string; fieldConfig?: string }>;

export const PANEL_TYPES = Object.keys(PANEL_SCHEMA_TYPES) as (keyof typeof PANEL_SCHEMA_TYPES)[];

type SchemaOf = (rootType: string) => Definition & { definitions: Record<string, Definition> };

function schemaGenerator(): SchemaOf {
  const generator = createGenerator({
    path: path.join(here, 'grafana-schema-types.ts'),
    tsconfig: path.join(here, '..', '..', 'tsconfig.json'),
    // Only the named types are read; `npm run typecheck` type-checks the project. Keeps generation under a second.
    skipTypeCheck: true,
    // The types' JSDoc (descriptions, @deprecated) adds nothing to validation.
    jsDoc: 'none',
  });
  return (rootType) => generator.createSchema(rootType) as ReturnType<SchemaOf>;
}

/**
 * Where the dashboard kind is narrower or vaguer than what Grafana accepts, the check uses another `@grafana/schema`
 * type — nothing else is changed:
 * - `AnnotationQuery.target` is typed `AnnotationTarget` (the built-in Grafana annotation's `limit`, `matchAny`,
 *   `tags`, `type`; upstream TODO "this should be a regular DataQuery"); a datasource annotation keeps its own query
 *   (here the ClickHouse plugin's) there, so it is checked as the package's `DataQuery`, which every datasource's
 *   query extends (its veneer `AnnotationQuery` types `target` the same way): an object with a `refId`, plus the
 *   datasource's own keys.
 * - `FieldConfig.links` is `Array<unknown>` in the v1 kind; they are data links, checked as Grafana's v2 schema types
 *   them (`DataLink`: `title`, `url`, optional `targetBlank`).
 * The previous, vendored JSON schema also needed threshold `value: null` and a variable's object `query` set back;
 * `@grafana/schema`'s types already allow both (`number | null`, `string | Record<string, unknown>`).
 */
function dashboardSchema(schemaOf: SchemaOf, ajv: Ajv): Definition {
  // Added as schemas of their own (not merged into the dashboard's definitions, where a `DataSourceRef` of the
  // same name but another package module already lives).
  const annotationTarget = schemaOf('AnnotationTargetQuery');
  delete annotationTarget.definitions.AnnotationTargetQuery!.additionalProperties;
  ajv.addSchema({ ...annotationTarget, $id: 'AnnotationTargetQuery.json' });
  ajv.addSchema({ ...schemaOf('FieldDataLink'), $id: 'FieldDataLink.json' });

  const schema = schemaOf('Dashboard');
  const defs = schema.definitions;
  defs.AnnotationQuery!.properties!.target = { $ref: 'AnnotationTargetQuery.json' };
  defs.FieldConfig!.properties!.links = { type: 'array', items: { $ref: 'FieldDataLink.json' } };
  return schema;
}

export interface SchemaValidator {
  /** Every violation, as "<where>: <path> <message>"; empty when the dashboard is valid. */
  check(dashboard: unknown): string[];
}

export function grafanaSchemaValidator(): SchemaValidator {
  const schemaOf = schemaGenerator();
  // allowUnionTypes: the types have unions of primitives (`number | null`, `string | number`), i.e. `type: [...]`.
  const ajv = new Ajv({ allErrors: true, allowUnionTypes: true, logger: false });
  const dashboard = ajv.compile(dashboardSchema(schemaOf, ajv));
  const panelParts = new Map<string, { options: ValidateFunction; fieldConfig?: ValidateFunction }>();
  for (const [type, rootTypes] of Object.entries(PANEL_SCHEMA_TYPES)) {
    panelParts.set(type, {
      options: ajv.compile(schemaOf(rootTypes.options)),
      fieldConfig: 'fieldConfig' in rootTypes ? ajv.compile(schemaOf(rootTypes.fieldConfig)) : undefined,
    });
  }
  const describe = (where: string, errors: ErrorObject[] | null | undefined) =>
    (errors ?? []).map((e) => `${where}: ${e.instancePath || '/'} ${e.message}${paramsText(e)}`);

  return {
    check(input) {
      const json = JSON.parse(JSON.stringify(input)) as {
        uid?: string;
        panels?: {
          type: string;
          title?: string;
          options?: unknown;
          fieldConfig?: { defaults?: { custom?: unknown } };
        }[];
      };
      const uid = json.uid ?? '(no uid)';
      const problems = dashboard(json) ? [] : describe(uid, dashboard.errors);
      for (const panel of json.panels ?? []) {
        const where = `${uid} "${panel.title}" (${panel.type})`;
        const parts = panelParts.get(panel.type);
        if (!parts) {
          problems.push(`${where}: no schema for panel type ${panel.type}`);
          continue;
        }
        if (!parts.options(panel.options ?? {})) problems.push(...describe(`${where} options`, parts.options.errors));
        const custom = panel.fieldConfig?.defaults?.custom;
        if (custom !== undefined && parts.fieldConfig && !parts.fieldConfig(custom)) {
          problems.push(...describe(`${where} fieldConfig.defaults.custom`, parts.fieldConfig.errors));
        }
      }
      return problems;
    },
  };
}

function paramsText(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  const detail = params.additionalProperty ?? params.allowedValues;
  return detail === undefined ? '' : ` (${JSON.stringify(detail)})`;
}
