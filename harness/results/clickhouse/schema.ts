/**
 * The results schema, as migrations. Every statement runs unchanged on ClickHouse 18.16 (Debian's
 * package) and on current ClickHouse (chDB 26.x in tests): plain String dimensions (no LowCardinality),
 * UInt64 µs timestamps with a MATERIALIZED DateTime for partitions and Grafana's `$__timeFilter`, no
 * codecs, TTL, DateTime64, Map, Bool, Nullable or skip indexes. See ./README.md.
 *
 * Rules for changing it: migrations are append-only and additive. Never edit a migration that has
 * shipped; add a new one (a new table, or `addColumn` with a default), so runs loaded by an older
 * harness stay readable and an older harness can still write (it does not name the new columns).
 */

export type TableName =
  | 'schema_migrations'
  | 'runs'
  | 'shard_runs'
  | 'trend_seconds'
  | 'value_seconds'
  | 'generator_seconds'
  | 'deliveries'
  | 'events'
  | 'push_ledger'
  | 'thresholds'
  | 'baseline_entries';

/** Tables holding rows of one run; `results load` replaces them (all but `runs`, which is versioned). */
export const RUN_TABLES = [
  'trend_seconds',
  'value_seconds',
  'generator_seconds',
  'deliveries',
  'events',
  'push_ledger',
  'thresholds',
] as const satisfies readonly TableName[];

/** Tables whose rows carry a `shard` column: several shard processes can write one run. */
export const SHARDED_TABLES: ReadonlySet<TableName> = new Set([
  'trend_seconds',
  'value_seconds',
  'generator_seconds',
  'deliveries',
  'events',
  'push_ledger',
]);

export type MigrationStep =
  | { kind: 'sql'; sql: (db: string) => string }
  /** `ADD COLUMN IF NOT EXISTS` is a syntax error on 18.16: the runner checks system.columns instead. */
  | { kind: 'addColumn'; table: TableName; column: string; type: string };

export interface Migration {
  version: number;
  name: string;
  steps: MigrationStep[];
}

const sql = (fn: (db: string) => string): MigrationStep => ({ kind: 'sql', sql: fn });

/** Time columns shared by the per-second and per-event tables. */
const TIME = `ts_us UInt64,
  t DateTime MATERIALIZED toDateTime(intDiv(ts_us, 1000000))`;

/** The `runs` table's columns (migration 1), shared with `shard_runs` (migration 3). */
const RUN_COLUMNS = `  run_id String,
  updated_us UInt64,
  status String,
  verdict String,
  valid UInt8,
  invalid_reasons Array(String),
  aborted_by String,
  aborted_reason String,
  source String,
  scenario String,
  scenario_file String,
  description String,
  mode String,
  engine String,
  provider String,
  nodes UInt16,
  started_us UInt64,
  started_at DateTime MATERIALIZED toDateTime(intDiv(started_us, 1000000)),
  ended_us UInt64,
  duration_s Float64,
  git_commit String,
  git_dirty Int8,
  hostname String,
  platform String,
  arch String,
  cpus UInt16,
  cpu_model String,
  memory_bytes UInt64,
  node_version String,
  harness_version String,
  centrifugo_version String,
  version_names Array(String),
  version_values Array(String),
  delivery_count UInt64,
  delivery_avg_ms Float64,
  delivery_p50_ms Float64,
  delivery_p90_ms Float64,
  delivery_p95_ms Float64,
  delivery_p99_ms Float64,
  delivery_p999_ms Float64,
  delivery_max_ms Float64,
  messages_published UInt64,
  messages_expected UInt64,
  messages_delivered UInt64,
  messages_lost UInt64,
  messages_duplicated UInt64,
  messages_reordered UInt64,
  messages_recovered UInt64,
  reconnects UInt64,
  publish_errors UInt64,
  errors UInt64,
  pushes_enqueued UInt64,
  pushes_delivered UInt64,
  pushes_failed UInt64,
  push_e2e_p99_ms Float64,
  thresholds_total UInt16,
  thresholds_failed UInt16,
  generator_workers UInt16,
  generator_cpu_seconds Float64,
  generator_peak_rss_bytes UInt64,
  generator_max_elp99_ms Float64,
  error_codes Array(String),
  error_counts Array(UInt64),
  scenario_config String,
  summary_json String`;

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    steps: [
      // One row per run, rewritten as it goes (running → finished): the newest `updated_us` wins.
      // Read with FINAL (or argMax): until a merge, older versions of the row are still there.
      sql(
        (db) => `CREATE TABLE IF NOT EXISTS ${db}.runs (
${RUN_COLUMNS}
) ENGINE = ReplacingMergeTree(updated_us) ORDER BY run_id`,
      ),
      // Trends (latency distributions), one row per run × shard × metric × second: the engine's own
      // percentiles (ms) plus the second's histogram as sparse log buckets (16 per octave, µs; see
      // histogram-buckets.ts). sumMap(hist_idx, hist_cnt) merges seconds, shards and runs exactly.
      sql(
        (db) => `CREATE TABLE IF NOT EXISTS ${db}.trend_seconds (
  run_id String,
  shard String,
  metric String,
  ${TIME},
  sec UInt32,
  count UInt64,
  avg_ms Float64,
  min_ms Float64,
  med_ms Float64,
  p90_ms Float64,
  p95_ms Float64,
  p99_ms Float64,
  p999_ms Float64,
  max_ms Float64,
  hist_idx Array(UInt16),
  hist_cnt Array(UInt64)
) ENGINE = MergeTree PARTITION BY toYYYYMM(t) ORDER BY (run_id, metric, ts_us, shard)`,
      ),
      // Counters (the second's increment) and gauges (the level at the end of the second). A labelled
      // key `pushes_failed{reason=invalid_token}` becomes metric + label_name + label_value.
      sql(
        (db) => `CREATE TABLE IF NOT EXISTS ${db}.value_seconds (
  run_id String,
  shard String,
  kind String,
  metric String,
  label_name String,
  label_value String,
  ${TIME},
  sec UInt32,
  value Float64
) ENGINE = MergeTree PARTITION BY toYYYYMM(t) ORDER BY (run_id, metric, ts_us, label_value, shard)`,
      ),
      // The load generator's own health each second: a saturated generator makes a run invalid.
      sql(
        (db) => `CREATE TABLE IF NOT EXISTS ${db}.generator_seconds (
  run_id String,
  shard String,
  ${TIME},
  sec UInt32,
  cpu Float64,
  event_loop_delay_p99_ms Float64,
  rss_bytes UInt64
) ENGINE = MergeTree PARTITION BY toYYYYMM(t) ORDER BY (run_id, ts_us, shard)`,
      ),
      // Sampled per-message deliveries (samples.ndjson; DeliverySample in harness/common/summary-types.ts).
      sql(
        (db) => `CREATE TABLE IF NOT EXISTS ${db}.deliveries (
  run_id String,
  shard String,
  ${TIME},
  stream String,
  subscriber String,
  seq UInt64,
  latency_us UInt64,
  node String,
  worker UInt16,
  recovered UInt8
) ENGINE = MergeTree PARTITION BY toYYYYMM(t) ORDER BY (run_id, ts_us)`,
      ),
      // The run's timeline: phases, injected faults, notes. Grafana shows them as annotations.
      sql(
        (db) => `CREATE TABLE IF NOT EXISTS ${db}.events (
  run_id String,
  shard String,
  ${TIME},
  at_s Float64,
  kind String,
  name String,
  detail String
) ENGINE = MergeTree PARTITION BY toYYYYMM(t) ORDER BY (run_id, ts_us)`,
      ),
      // The push ledger, long form: outcome enqueued | delivered | failed (one row per reason) | queued
      // | unaccounted.
      sql(
        (db) => `CREATE TABLE IF NOT EXISTS ${db}.push_ledger (
  run_id String,
  shard String,
  outcome String,
  reason String,
  count UInt64
) ENGINE = MergeTree ORDER BY (run_id, outcome, reason)`,
      ),
      sql(
        (db) => `CREATE TABLE IF NOT EXISTS ${db}.thresholds (
  run_id String,
  metric String,
  expression String,
  ok UInt8,
  has_value UInt8,
  value Float64,
  abort_on_fail UInt8
) ENGINE = MergeTree ORDER BY (run_id, metric, expression)`,
      ),
    ],
  },
  {
    version: 2,
    name: 'baseline entries',
    steps: [
      // A copy of the baselines folder (harness/gate/baselines/store.ts; the files stay the record): one row
      // per event — `saved` when `baseline save` appends an entry, `promoted` when `baseline promote` makes
      // one current — so a baseline's history is its `saved` rows and its current entry the newest row with
      // made_current = 1. Per-run values are parallel arrays (value_run_id[i], value_metric[i], value[i];
      // a metric a run lacks has no element: no Nullable on 18.16); entry_json is the whole entry, so
      // `baseline show --from clickhouse` needs no files; history_index is the entry's line in history.ndjson
      // (the files' order, which dates need not follow). A save retried after a lost answer may leave a
      // duplicate row: readers take one row per entry_id.
      sql(
        (db) => `CREATE TABLE IF NOT EXISTS ${db}.baseline_entries (
  entry_id String,
  event String,
  event_us UInt64,
  event_at DateTime MATERIALIZED toDateTime(intDiv(event_us, 1000000)),
  made_current UInt8,
  history_index UInt32,
  scenario String,
  name String,
  identity_hash String,
  harness_version String,
  host_cpu_model String,
  host_cores UInt16,
  host_memory_gib UInt32,
  host_platform String,
  host_arch String,
  git_commit String,
  saved_us UInt64,
  run_ids Array(String),
  value_run_id Array(String),
  value_metric Array(String),
  value Array(Float64),
  median_metric Array(String),
  median Array(Float64),
  entry_json String
) ENGINE = MergeTree ORDER BY (scenario, name, event_us, entry_id)`,
      ),
    ],
  },
  {
    version: 3,
    name: 'shard runs',
    steps: [
      // Each shard of a distributed run (run --shard i/n): its own run row, like `runs` but one per (run_id,
      // shard), so the shards of one run id do not overwrite each other's row — nor the merged run's, which is
      // the `runs` row (written by `coordinate --merge` or `results merge --clickhouse-url`). The shards'
      // per-second, event, delivery and ledger rows carry their shard in the tables above; summed over shards
      // they are the merged run's.
      sql(
        (db) => `CREATE TABLE IF NOT EXISTS ${db}.shard_runs (
  shard String,
${RUN_COLUMNS}
) ENGINE = ReplacingMergeTree(updated_us) ORDER BY (run_id, shard)`,
      ),
    ],
  },
];

/** The newest schema version this harness knows. */
export const SCHEMA_VERSION = Math.max(...MIGRATIONS.map((m) => m.version));

/**
 * Every table's columns as the migrations define them (CREATE TABLE bodies + addColumn steps), parsed
 * from the DDL text: lets tests check dashboard SQL against the schema without a server.
 */
export function schemaColumns(migrations: readonly Migration[] = MIGRATIONS): Map<string, Set<string>> {
  const tables = new Map<string, Set<string>>();
  tables.set('schema_migrations', new Set(['version', 'name', 'applied_us']));
  for (const migration of migrations) {
    for (const step of migration.steps) {
      if (step.kind === 'addColumn') {
        tables.get(step.table)?.add(step.column);
        continue;
      }
      const ddl = step.sql('db');
      const create = /CREATE TABLE IF NOT EXISTS db\.(\w+) \(([\s\S]*?)\n\) ENGINE/.exec(ddl);
      if (!create) continue;
      const columns = new Set<string>();
      for (const line of create[2]!.split('\n')) {
        const column = /^\s*([a-z_][a-z0-9_]*)\s+[A-Z]/.exec(line);
        if (column) columns.add(column[1]!);
      }
      tables.set(create[1]!, columns);
    }
  }
  return tables;
}
