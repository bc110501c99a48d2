import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DASHBOARDS } from './dashboards.ts';
import { grafanaSchemaValidator, PANEL_TYPES } from './lib/grafana-schema.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const validator = grafanaSchemaValidator();

// The schemas are generated from @grafana/schema's types once for this file (about a second).
describe("dashboards against Grafana's schema (derived from @grafana/schema's types)", () => {
  test('every generated dashboard file is valid: dashboard, panels, and each panel plugin’s options', () => {
    for (const name of Object.keys(DASHBOARDS)) {
      const json: unknown = JSON.parse(readFileSync(path.join(here, 'generated', `${name}.json`), 'utf8'));
      assert.deepEqual(validator.check(json), [], `${name}.json`);
    }
  });

  test('every panel type the dashboards use has a schema', () => {
    const used = new Set(Object.values(DASHBOARDS).flatMap((build) => (build().panels ?? []).map((p) => p.type)));
    assert.deepEqual(
      [...used].filter((type) => !(PANEL_TYPES as readonly string[]).includes(type)),
      [],
    );
  });

  test('the check catches a missing required field, an unknown key and a wrong option value', () => {
    const dashboard = structuredClone(DASHBOARDS['run-overview']!()) as unknown as Record<string, unknown>;
    delete dashboard.schemaVersion;
    dashboard.refreshEvery = '5s';
    const panels = dashboard.panels as { type: string; options: Record<string, unknown> }[];
    const stat = panels.find((p) => p.type === 'stat')!;
    stat.options.colorMode = 'rainbow';
    const problems = validator.check(dashboard).join('\n');
    assert.match(problems, /must have required property 'schemaVersion'/);
    assert.match(problems, /must NOT have additional properties \("refreshEvery"\)/);
    assert.match(problems, /\(stat\) options: \/colorMode/);
  });

  test('an annotation query without a refId and a field link without a url are caught', () => {
    const dashboard = structuredClone(DASHBOARDS['run-overview']!()) as unknown as {
      annotations: { list: { target?: Record<string, unknown> }[] };
      panels: { fieldConfig: { defaults: { links?: Record<string, unknown>[] } } }[];
    };
    const annotation = dashboard.annotations.list.find((a) => a.target)!;
    delete annotation.target!.refId;
    const link = dashboard.panels.flatMap((p) => p.fieldConfig.defaults.links ?? [])[0]!;
    delete link.url;
    const problems = validator.check(dashboard).join('\n');
    assert.match(problems, /\/annotations\/list\/\d+\/target must have required property 'refId'/);
    assert.match(problems, /\/fieldConfig\/defaults\/links\/0 must have required property 'url'/);
  });
});
