/**
 * Writes every dashboard to dashboards/generated/<name>.json (what Grafana provisions), or with
 * `--check` only compares: exits 1 naming the files that are out of date.
 *
 *   node --import tsx dashboards/build.ts [--check]
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DASHBOARDS } from './dashboards.ts';

export const GENERATED_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'generated');

/** name → file content, exactly as committed. */
export function renderDashboards(): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, build] of Object.entries(DASHBOARDS)) {
    out.set(`${name}.json`, `${JSON.stringify(build(), null, 2)}\n`);
  }
  return out;
}

/** Files that differ from what the code generates (missing, changed, or left over). */
export function staleFiles(dir = GENERATED_DIR): string[] {
  const expected = renderDashboards();
  const stale: string[] = [];
  for (const [file, content] of expected) {
    const target = path.join(dir, file);
    if (!existsSync(target) || readFileSync(target, 'utf8') !== content) stale.push(file);
  }
  if (existsSync(dir)) {
    for (const file of readdirSync(dir)) if (file.endsWith('.json') && !expected.has(file)) stale.push(file);
  }
  return stale;
}

function main(): void {
  if (process.argv.includes('--check')) {
    const stale = staleFiles();
    if (stale.length > 0) {
      process.stderr.write(
        `error: dashboards/generated is out of date (${stale.join(', ')}); run: node --import tsx dashboards/build.ts\n`,
      );
      process.exitCode = 1;
    }
    return;
  }
  mkdirSync(GENERATED_DIR, { recursive: true });
  const expected = renderDashboards();
  for (const file of readdirSync(GENERATED_DIR)) {
    if (file.endsWith('.json') && !expected.has(file)) rmSync(path.join(GENERATED_DIR, file));
  }
  for (const [file, content] of expected) writeFileSync(path.join(GENERATED_DIR, file), content);
  process.stderr.write(`wrote ${expected.size} dashboards to ${path.relative(process.cwd(), GENERATED_DIR) || '.'}\n`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
