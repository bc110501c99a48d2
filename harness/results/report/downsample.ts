/**
 * Shrinks aligned time series (one shared x column, many y columns) for drawing, keeping what a reader
 * looks for in a load test: spikes and dips. Consecutive rows are grouped into buckets and each bucket
 * becomes two rows holding, per column, the bucket's minimum and maximum in the order they happened
 * (an M4-style envelope without first/last). So every column keeps its global min and max exactly,
 * a one-second latency spike in a ten-hour run stays visible, and the page stays small.
 */

export type Column = (number | null)[];

export interface Downsampled {
  x: number[];
  columns: Column[];
  /** Rows per bucket (1 = nothing was merged). */
  bucketRows: number;
}

/** Returns the input unchanged when it has at most `maxRows` rows; otherwise at most `maxRows` rows. */
export function downsampleMinMax(x: number[], columns: Column[], maxRows: number): Downsampled {
  if (maxRows < 2) throw new Error(`maxRows must be at least 2, got ${maxRows}`);
  for (const column of columns) {
    if (column.length !== x.length) throw new Error(`column length ${column.length} ≠ x length ${x.length}`);
  }
  if (x.length <= maxRows) return { x, columns, bucketRows: 1 };

  const bucketRows = Math.ceil(x.length / Math.floor(maxRows / 2));
  const outX: number[] = [];
  const outColumns: Column[] = columns.map(() => []);
  for (let start = 0; start < x.length; start += bucketRows) {
    const end = Math.min(start + bucketRows, x.length);
    const twoRows = end - start > 1;
    outX.push(x[start]!);
    if (twoRows) outX.push(x[start + Math.floor((end - start) / 2)]!);
    columns.forEach((column, c) => {
      let minAt = -1;
      let maxAt = -1;
      for (let i = start; i < end; i++) {
        const v = column[i];
        if (v === null || v === undefined) continue;
        if (minAt < 0 || v < column[minAt]!) minAt = i;
        if (maxAt < 0 || v > column[maxAt]!) maxAt = i;
      }
      const out = outColumns[c]!;
      if (minAt < 0) {
        out.push(null);
        if (twoRows) out.push(null);
      } else if (!twoRows) {
        out.push(column[minAt]!);
      } else if (minAt <= maxAt) {
        out.push(column[minAt]!, column[maxAt]!);
      } else {
        out.push(column[maxAt]!, column[minAt]!);
      }
    });
  }
  return { x: outX, columns: outColumns, bucketRows };
}
