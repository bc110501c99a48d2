/**
 * A grouped bar chart as static inline SVG: no script, prints sharply, and a comparison page of a few
 * dozen cells does not need zooming. Each bar shows a tall value (p99) with a narrower inner bar for a
 * second value (median) of the same series.
 */
import { html, type SafeHtml } from './html.ts';

export interface BarGroup {
  label: string;
  bars: { series: string; value: number | null; inner: number | null; flagged?: boolean }[];
}

export interface GroupedBarChartOptions {
  id: string;
  title: string;
  /** Formats axis ticks and value labels (with their unit). */
  format: (value: number) => string;
  valueLabel: string;
  innerLabel: string;
}

const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#17becf', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22'];

/** Axis ticks at 1, 2 or 5 × 10^k, covering [0, max]. */
export function niceTicks(max: number, count = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * magnitude >= raw) ?? 10) * magnitude;
  const ticks: number[] = [];
  for (let v = 0; v < max + step * 0.999; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

function darker(hex: string): string {
  const n = Number.parseInt(hex.slice(1), 16);
  const scale = (shift: number) => Math.round(((n >> shift) & 255) * 0.55);
  return `rgb(${scale(16)},${scale(8)},${scale(0)})`;
}

export function seriesColors(series: string[]): Map<string, string> {
  return new Map(series.map((s, i) => [s, PALETTE[i % PALETTE.length]!]));
}

export function groupedBarChart(groups: BarGroup[], options: GroupedBarChartOptions): SafeHtml {
  const series = [...new Set(groups.flatMap((g) => g.bars.map((b) => b.series)))];
  const colors = seriesColors(series);
  const max = Math.max(0, ...groups.flatMap((g) => g.bars.map((b) => Math.max(b.value ?? 0, b.inner ?? 0))));
  const ticks = niceTicks(max);
  const top = ticks[ticks.length - 1]!;

  const width = 1000;
  const left = 78;
  const right = 12;
  const plotTop = 20;
  const plotBottom = 300;
  const legendPerRow = Math.floor((width - left) / 150);
  const height = plotBottom + 46 + Math.ceil(series.length / legendPerRow) * 18;
  const plotHeight = plotBottom - plotTop;
  const groupWidth = (width - left - right) / Math.max(groups.length, 1);
  const barWidth = Math.min(48, (groupWidth * 0.8) / Math.max(series.length, 1));
  const y = (v: number) => plotBottom - (v / top) * plotHeight;

  const bars = groups.map((group, g) => {
    const x0 = left + g * groupWidth + (groupWidth - barWidth * series.length) / 2;
    return html`${group.bars.map((bar) => {
      const i = series.indexOf(bar.series);
      const x = x0 + i * barWidth;
      const color = colors.get(bar.series)!;
      const tip = `${group.label} · ${bar.series}: ${options.valueLabel} ${bar.value === null ? 'no data' : options.format(bar.value)}, ${options.innerLabel} ${bar.inner === null ? 'no data' : options.format(bar.inner)}`;
      if (bar.value === null) {
        return html`<text x="${(x + barWidth / 2).toFixed(1)}" y="${plotBottom - 4}" text-anchor="middle" class="na">n/a</text>`;
      }
      const inner =
        bar.inner === null
          ? ''
          : html`<rect x="${(x + barWidth * 0.3).toFixed(1)}" y="${y(bar.inner).toFixed(1)}" width="${(barWidth * 0.4).toFixed(1)}" height="${(plotBottom - y(bar.inner)).toFixed(1)}" fill="${darker(color)}"/>`;
      return html`<g class="bar"><title>${tip}</title>
<rect x="${(x + 1).toFixed(1)}" y="${y(bar.value).toFixed(1)}" width="${(barWidth - 2).toFixed(1)}" height="${(plotBottom - y(bar.value)).toFixed(1)}" fill="${color}" fill-opacity="0.75"/>${inner}
<text x="${(x + barWidth / 2).toFixed(1)}" y="${(y(bar.value) - 4).toFixed(1)}" text-anchor="middle" class="${bar.flagged ? 'val flagged' : 'val'}">${options.format(bar.value)}</text></g>`;
    })}
<text x="${(left + g * groupWidth + groupWidth / 2).toFixed(1)}" y="${plotBottom + 18}" text-anchor="middle" class="group">${group.label}</text>`;
  });

  const legend = series.map(
    (s, i) =>
      html`<g transform="translate(${left + (i % legendPerRow) * 150},${plotBottom + 50 + Math.floor(i / legendPerRow) * 18})"><rect width="14" height="10" y="-9" fill="${colors.get(s)!}" fill-opacity="0.75"/><text x="19" class="legend">${s}</text></g>`,
  );

  return html`<figure class="bars" id="${options.id}">
<figcaption><strong>${options.title}</strong> — wide bar: ${options.valueLabel}; narrow dark bar: ${options.innerLabel}.</figcaption>
<svg viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${options.title}" xmlns="http://www.w3.org/2000/svg">
<style>text{font:12px system-ui,sans-serif;fill:#1d2433}.val{font-size:10.5px}.flagged{fill:#c62828;font-weight:600}.axis{fill:#5b6475;font-size:11px}.na{fill:#5b6475;font-size:10px}.group{font-weight:600}</style>
${ticks.map(
  (t) =>
    html`<line x1="${left}" x2="${width - right}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" stroke="#e3e6ec"/><text x="${left - 6}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end" class="axis">${options.format(t)}</text>`,
)}
<line x1="${left}" x2="${width - right}" y1="${plotBottom}" y2="${plotBottom}" stroke="#9aa1ad"/>
${bars}
${legend}
</svg>
</figure>`;
}
