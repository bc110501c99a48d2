/**
 * The run streamed into ClickHouse while it happens (results/clickhouse's live writer). It never blocks
 * nor fails the run: when the live writing was incomplete, the run is loaded from its files at the end
 * (files stop first), and when ClickHouse is down the files are complete and `results load` does it later.
 */
import { log } from '../../common/log.ts';
import type { DeliverySample, TimelineEvent, TimeseriesPoint } from '../../common/summary-types.ts';
import { createLiveWriter, type LiveWriter, loadRunDir } from '../../results/clickhouse/index.ts';
import type { Output, RunEnd, RunStart } from './output.ts';

export class ClickHouseOutput implements Output {
  private live: LiveWriter | undefined;
  private dir = '';

  /** `shard`: a distributed run's shard index, stamped on its rows ('' for a single-process run). */
  constructor(
    private readonly url: string,
    private readonly shard = '',
  ) {}

  description(): string {
    return `clickhouse ${new URL(this.url).origin}`;
  }

  async start(run: RunStart): Promise<void> {
    this.dir = run.dir;
    this.live = createLiveWriter(this.url, run.info, { shard: this.shard });
  }

  addPoint(point: TimeseriesPoint): void {
    this.live?.point(point);
  }

  addEvent(event: TimelineEvent): void {
    this.live?.event(event);
  }

  addSamples(rows: DeliverySample[]): void {
    for (const row of rows) this.live?.sample(row);
  }

  async stop(end: RunEnd | undefined): Promise<void> {
    const live = this.live;
    if (!live) return;
    // Without a summary the run is marked `incomplete` in the runs table.
    const result = await live.close(end?.summary ?? null);
    if (!end) return;
    if (result.complete) {
      log.info('results', `ClickHouse: ${result.rowsWritten} rows written live`);
      return;
    }
    try {
      const loaded = await loadRunDir(this.dir, this.url, { shard: this.shard });
      log.info(
        'results',
        `ClickHouse: live writing was incomplete (${result.lastError ?? 'rows dropped'}); loaded ${loaded.rows} rows from the files`,
      );
    } catch (error) {
      log.warn(
        'results',
        `ClickHouse unavailable (${(error as Error).message}); the files are complete — load them later with \`centrifugo-bench results load ${end.summary.runId}\``,
      );
    }
  }
}
