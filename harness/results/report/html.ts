/**
 * Safe-by-default HTML building: every interpolated value is escaped unless it is already `SafeHtml`
 * (produced by `html` itself or by `raw`, which is only used for our own assets). Scenario names, error
 * codes, fault details and versions come from user files and the services, so nothing is trusted.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

type Interpolation = SafeHtml | string | number | boolean | null | undefined | Interpolation[];

function render(value: Interpolation): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/** `html\`<td>${name}</td>\``: strings are escaped, nested `html` fragments and arrays of them are not. */
export function html(strings: TemplateStringsArray, ...values: Interpolation[]): SafeHtml {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += render(values[i]) + (strings[i + 1] ?? '');
  return new SafeHtml(out);
}

/** Trusted markup (our own CSS and scripts read from disk). Never pass data through this. */
export function raw(text: string): SafeHtml {
  return new SafeHtml(text);
}

/**
 * JSON that can sit inside `<script type="application/json">`: `<`, `>` and `&` become `\u003c` …, so
 * no string can close the element (`</script>`) or open a comment (`<!--`); U+2028/2029 are escaped for
 * old parsers. `JSON.parse` of the element's text gives back exactly the original values.
 */
export function embedJson(value: unknown): SafeHtml {
  const json = JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
  return new SafeHtml(json);
}

/** Our inline script or style must not end its own element early; asset files are checked once. */
function assertInlineable(name: string, text: string, closing: string): string {
  if (text.toLowerCase().includes(closing)) throw new Error(`${name} contains "${closing}"; it cannot be inlined`);
  return text;
}

const require = createRequire(import.meta.url);
const cache = new Map<string, string>();

function readAsset(key: string, file: string, closing: string): string {
  let text = cache.get(key);
  if (text === undefined) {
    text = assertInlineable(key, readFileSync(file, 'utf8'), closing);
    cache.set(key, text);
  }
  return text;
}

/** uPlot's minified IIFE and CSS from node_modules, read at render time so the page works offline. */
export function uplotAssets(): { script: string; css: string; version: string } {
  const pkgFile = require.resolve('uplot/package.json');
  const version = (JSON.parse(readFileSync(pkgFile, 'utf8')) as { version: string }).version;
  return {
    script: readAsset('uPlot.iife.min.js', require.resolve('uplot/dist/uPlot.iife.min.js'), '</script'),
    css: readAsset('uPlot.min.css', require.resolve('uplot/dist/uPlot.min.css'), '</style'),
    version,
  };
}

/** A file beside this module (the page script and stylesheet). */
export function ownAsset(name: string): string {
  const closing = name.endsWith('.css') ? '</style' : '</script';
  return readAsset(name, fileURLToPath(new URL(name, import.meta.url)), closing);
}
