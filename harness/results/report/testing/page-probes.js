// Browser-side probes for report-in-chromium.integration.test.ts, injected into the page as inline
// script content (no request). Plain JavaScript because the project's TypeScript has no DOM types.
(() => {
  const hex = (c) => [1, 3, 5].map((i) => Number.parseInt(c.slice(i, i + 2), 16));
  const near = (d, i, rgb) =>
    d[i + 3] > 200 &&
    Math.abs(d[i] - rgb[0]) < 40 &&
    Math.abs(d[i + 1] - rgb[1]) < 40 &&
    Math.abs(d[i + 2] - rgb[2]) < 40;

  /** Per chart: pixels of each series' colour in the plot area, and of the marker colour around two times. */
  const chartPixels = ({ markerAt, quietAt, markerColour }) =>
    window.__report.charts.map(({ id, plot, el, colors }) => {
      const canvas = el.querySelector('canvas');
      const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      const { left, top, width, height } = plot.bbox;
      const countIn = (x0, x1, rgb) => {
        let n = 0;
        for (let y = Math.floor(top); y < top + height; y++) {
          for (let x = Math.max(0, Math.floor(x0)); x < Math.min(canvas.width, x1); x++) {
            if (near(d, (y * canvas.width + x) * 4, rgb)) n++;
          }
        }
        return n;
      };
      const markerX = plot.valToPos(markerAt, 'x', true);
      const quietX = plot.valToPos(quietAt, 'x', true);
      return {
        id,
        seriesPixels: colors.map((c) => countIn(left, left + width, hex(c))),
        markerColumn: countIn(markerX - 2, markerX + 3, hex(markerColour)),
        quietColumn: countIn(quietX - 2, quietX + 3, hex(markerColour)),
        plotHeight: height,
      };
    });

  /** Decodes a PNG given as base64 (no URL involved) and measures how much is drawn on it. */
  const imageStats = async (base64) => {
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d');
    ctx.drawImage(bitmap, 0, 0);
    const data = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
    const colours = new Set();
    let ink = 0;
    for (let i = 0; i < data.length; i += 4) {
      colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
      if (data[i] < 235 || data[i + 1] < 235 || data[i + 2] < 235) ink++;
    }
    return { colours: colours.size, inkShare: ink / (data.length / 4), width: bitmap.width, height: bitmap.height };
  };

  const barHeights = (selector) =>
    [...document.querySelectorAll(selector)].map((r) => r.getBoundingClientRect().height);

  window.__probes = { chartPixels, imageStats, barHeights };
})();
