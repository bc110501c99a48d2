import { existsSync } from 'node:fs';
import { resultsRoot } from '../common/run-id.ts';
import { defaultStacksDir, readStackFile, stackFilePath } from './stack-file.ts';

/**
 * The ClickHouse that keeps results between runs: $CENTRIFUGO_BENCH_CLICKHOUSE_URL, else the ClickHouse of
 * the running `default` stack (`stack up`), database `bench`. Undefined when there is neither.
 */
export function defaultClickHouseUrl(): string | undefined {
  if (process.env.CENTRIFUGO_BENCH_CLICKHOUSE_URL) return process.env.CENTRIFUGO_BENCH_CLICKHOUSE_URL;
  const file = stackFilePath(defaultStacksDir(resultsRoot()), 'default');
  if (!existsSync(file)) return undefined;
  try {
    const url = readStackFile(file).stack.endpoints.clickhouse?.url;
    return url ? `${url.replace(/\/+$/, '')}/bench` : undefined;
  } catch {
    return undefined;
  }
}
