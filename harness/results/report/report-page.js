// The run report's in-page script: draws the charts described by the embedded JSON with uPlot (inlined
// before this script) and the timeline's markers on every chart. Plain browser JavaScript, inlined into
// report.html at render time; it fetches nothing.
(() => {
  const data = JSON.parse(document.getElementById('report-data').textContent);
  const uPlot = window.uPlot;
  const HEIGHT = 240;

  const trim = (v, digits) => Number(v.toFixed(digits)).toString();
  const compact = (v) => {
    const a = Math.abs(v);
    if (a >= 1e9) return `${trim(v / 1e9, 2)}G`;
    if (a >= 1e6) return `${trim(v / 1e6, 2)}M`;
    if (a >= 1e3) return `${trim(v / 1e3, 2)}k`;
    if (a >= 10 || v === 0) return trim(v, 1);
    return trim(v, 3);
  };
  const clock = (s) => {
    const t = Math.max(0, Math.round(s));
    const h = Math.floor(t / 3600);
    const m = Math.floor((t % 3600) / 60);
    const sec = String(t % 60).padStart(2, '0');
    return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
  };
  const FORMATS = {
    ms: (v) => (Math.abs(v) >= 1000 ? `${trim(v / 1000, 2)} s` : `${trim(v, Math.abs(v) < 10 ? 2 : 1)} ms`),
    per_s: (v) => `${compact(v)}/s`,
    count: (v) => compact(v),
    percent: (v) => `${trim(v, 1)} %`,
  };
  const format = (unit) => {
    const f = FORMATS[unit] || compact;
    return (v) => (v === null || v === undefined ? '—' : f(v));
  };
  // Tick labels: a split filtered out (null) gets no label at all.
  const ticks = (unit) => {
    const f = FORMATS[unit] || compact;
    return (_u, splits) => splits.map((v) => (v === null || v === undefined ? '' : f(v)));
  };

  // Marker labels sit above the plot in two rows; a label that finds no room is left out (its line
  // stays, and the timeline table has the details). Labels near the right edge are drawn leftwards.
  const LABEL_ROWS = 2;
  const drawMarkers = (u) => {
    const { ctx, bbox } = u;
    const px = uPlot.pxRatio;
    const right = bbox.left + bbox.width;
    const taken = Array.from({ length: LABEL_ROWS }, () => []);
    ctx.save();
    ctx.font = `${11 * px}px system-ui, sans-serif`;
    ctx.textBaseline = 'alphabetic';
    data.markers.forEach((m, i) => {
      const x = Math.round(u.valToPos(m.at, 'x', true));
      if (x < bbox.left - 1 || x > right + 1) return;
      ctx.strokeStyle = m.color;
      ctx.fillStyle = m.color;
      ctx.lineWidth = (m.kind === 'fault' ? 2 : 1) * px;
      ctx.setLineDash(m.kind === 'phase' ? [5 * px, 4 * px] : m.kind === 'note' ? [2 * px, 3 * px] : []);
      ctx.beginPath();
      ctx.moveTo(x, bbox.top);
      ctx.lineTo(x, bbox.top + bbox.height);
      ctx.stroke();
      const label = `${i + 1} ${m.name}`;
      const width = ctx.measureText(label).width;
      const leftwards = x + 3 * px + width > right;
      const from = leftwards ? x - 3 * px - width : x + 3 * px;
      const to = from + width;
      const row = taken.findIndex((spans) => spans.every(([a, b]) => to + 6 * px < a || from > b + 6 * px));
      if (row < 0) return;
      taken[row].push([from, to]);
      ctx.textAlign = leftwards ? 'right' : 'left';
      ctx.fillText(label, leftwards ? x - 3 * px : x + 3 * px, bbox.top - (4 + (LABEL_ROWS - 1 - row) * 13) * px);
    });
    ctx.restore();
  };

  // Log axes: label decades only (and 2, 5 between them when the range is narrow), so ticks stay legible.
  const logSplits = (_u, splits) => {
    const present = splits.filter((v) => v > 0);
    const decades = present.length ? Math.log10(Math.max(...present) / Math.min(...present)) : 0;
    const keep = decades > 2 ? [1] : [1, 2, 5];
    return splits.map((v) => {
      const mantissa = Math.round(v / 10 ** Math.floor(Math.log10(v) + 1e-9));
      return keep.includes(mantissa) ? v : null;
    });
  };

  const widthOf = (el) => Math.max(320, Math.floor(el.clientWidth));
  const charts = [];

  for (const spec of data.charts) {
    const el = document.querySelector(`[data-chart="${spec.id}"] .plot`);
    if (!el) continue;
    const axes = [
      { values: (_u, splits) => splits.map(clock), label: 'time since start (m:ss)' },
      {
        scale: 'y',
        values: ticks(spec.axes.y.unit),
        filter: spec.axes.y.log ? logSplits : undefined,
        grid: spec.axes.y.log ? { filter: logSplits } : undefined,
        ticks: spec.axes.y.log ? { filter: logSplits } : undefined,
        size: 70,
        label: spec.axes.y.label,
      },
    ];
    // Linear axes start just below zero, so a series that stays at 0 is drawn as a full line rather
    // than half-hidden on the plot's edge; log axes pick their decades.
    const linear = (_u, _min, max) => {
      const top = max > 0 ? max * 1.05 : 1;
      return [-top * 0.02, top];
    };
    const scaleOf = (axis) => (axis.log ? { distr: 3, log: 10 } : { range: linear });
    const scales = { x: { time: false }, y: scaleOf(spec.axes.y) };
    if (spec.axes.y2) {
      axes.push({
        scale: 'y2',
        side: 1,
        grid: { show: false },
        values: ticks(spec.axes.y2.unit),
        filter: spec.axes.y2.log ? logSplits : undefined,
        ticks: spec.axes.y2.log ? { filter: logSplits } : undefined,
        size: 70,
        label: spec.axes.y2.label,
      });
      scales.y2 = scaleOf(spec.axes.y2);
    }
    const series = [
      { label: 'time', value: (_u, v) => (v === null ? '—' : clock(v)) },
      ...spec.series.map((s) => ({
        label: s.label,
        stroke: s.color,
        width: 1.5,
        dash: s.dash,
        scale: s.scale,
        spanGaps: false,
        points: { show: false },
        value: (_u, v) => format(s.scale === 'y2' ? spec.axes.y2.unit : spec.axes.y.unit)(v),
      })),
    ];
    const opts = {
      width: widthOf(el),
      height: HEIGHT,
      padding: [8 + 13 * LABEL_ROWS, null, null, null],
      scales,
      axes,
      series,
      cursor: { drag: { x: true, y: false } },
      // Markers go under the series (drawAxes runs before series are drawn), so a spike at a fault stays visible.
      hooks: { drawAxes: [drawMarkers] },
    };
    const columns = spec.series.map((s) =>
      spec.axes[s.scale].log ? s.values.map((v) => (v !== null && v > 0 ? v : null)) : s.values,
    );
    const plot = new uPlot(opts, [data.x, ...columns], el);
    charts.push({ id: spec.id, plot, el, colors: spec.series.map((s) => s.color) });
  }

  const resize = (width) => {
    for (const c of charts) c.plot.setSize({ width: width || widthOf(c.el), height: HEIGHT });
  };
  let pending = 0;
  window.addEventListener('resize', () => {
    clearTimeout(pending);
    pending = setTimeout(() => resize(), 150);
  });
  // A printed page is narrower than most screens: draw at paper width, then back.
  window.addEventListener('beforeprint', () => resize(680));
  window.addEventListener('afterprint', () => resize());

  window.__report = { charts, markers: data.markers };
  document.documentElement.setAttribute('data-charts-drawn', String(charts.length));
})();
