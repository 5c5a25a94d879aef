// Versioned schema. A migration is applied once, in order, at start-up and
// recorded in `schema_migrations`; never edit a released one, add the next.

/** Bucket widths of the rollup tiers, finest first. Each is 16× the one before. */
export const TIER_WIDTHS = [16, 256, 4096, 65536] as const;
/** The tiers the writer computes and inserts itself; the coarser ones are views. */
export const WRITER_TIERS = [16, 256] as const;

/** The table holding the rollup tier of a width. */
export function tierTable(width: number): string {
  if (!(TIER_WIDTHS as readonly number[]).includes(width)) throw new RangeError(`no rollup tier of width ${width}`);
  return `rollup_${width}`;
}

export interface Migration {
  version: number;
  name: string;
  statements: (db: string) => string[];
}

// NOTE: every table that an insert reaches keeps a deduplication window, so a
// block sent again with the same insert_deduplication_token (a writer replay)
// is dropped in the raw table and in every view it feeds.
const DEDUP = 'non_replicated_deduplication_window = 10000';

/** How long a client batch key is remembered: a retry (or a spool synced again) within it counts once. */
export const BATCH_KEY_DAYS = 30;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'points, rollup tiers, summaries, runs, batches',
    statements: (db) => [
      `CREATE TABLE IF NOT EXISTS ${db}.points (
        project LowCardinality(String), run LowCardinality(String), metric LowCardinality(String), rank Int32,
        step Int64, value Float64, time_ms Int64
      ) ENGINE = MergeTree ORDER BY (project, run, metric, rank, step) SETTINGS ${DEDUP}`,

      // Rollup tiers, one table per width. The two finest are written by the
      // writer beside the points (tier-block.ts), in the same write set; each
      // coarser tier is a materialized view over the one below it. min/max/sum
      // are over finite values: +inf/-inf/0 stand in for the others.
      ...TIER_WIDTHS.map((w) => `CREATE TABLE IF NOT EXISTS ${db}.${tierTable(w)} (
        project LowCardinality(String), run LowCardinality(String), metric LowCardinality(String), rank Int32, bucket Int64,
        first_step SimpleAggregateFunction(min, Int64), last_step SimpleAggregateFunction(max, Int64),
        min SimpleAggregateFunction(min, Float64), max SimpleAggregateFunction(max, Float64),
        sum SimpleAggregateFunction(sum, Float64), count SimpleAggregateFunction(sum, UInt64),
        nonfinite SimpleAggregateFunction(sum, UInt64),
        first AggregateFunction(argMin, Float64, Int64), last AggregateFunction(argMax, Float64, Int64)
      ) ENGINE = AggregatingMergeTree ORDER BY (project, run, metric, rank, bucket) SETTINGS ${DEDUP}`),
      ...TIER_WIDTHS.slice(WRITER_TIERS.length).map((w, i) => `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.${tierTable(w)}_mv TO ${db}.${tierTable(w)} AS
        SELECT project, run, metric, rank, intDiv(bucket, ${w}) * ${w} AS bucket,
          min(first_step) AS first_step, max(last_step) AS last_step, min(min) AS min, max(max) AS max,
          sum(sum) AS sum, sum(count) AS count, sum(nonfinite) AS nonfinite,
          argMinMergeState(first) AS first, argMaxMergeState(last) AS last
        FROM ${db}.${tierTable(TIER_WIDTHS[i + WRITER_TIERS.length - 1]!)} GROUP BY project, run, metric, rank, bucket`),

      // Summaries are fed from the coarsest tier: a few rows per series and insert.
      `CREATE TABLE IF NOT EXISTS ${db}.summaries (
        project LowCardinality(String), run LowCardinality(String), metric LowCardinality(String), rank Int32,
        first_step SimpleAggregateFunction(min, Int64), last_step SimpleAggregateFunction(max, Int64),
        count SimpleAggregateFunction(sum, UInt64), nonfinite SimpleAggregateFunction(sum, UInt64),
        min SimpleAggregateFunction(min, Float64), max SimpleAggregateFunction(max, Float64),
        last AggregateFunction(argMax, Float64, Int64)
      ) ENGINE = AggregatingMergeTree ORDER BY (project, run, metric, rank) SETTINGS ${DEDUP}`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.summaries_mv TO ${db}.summaries AS
        SELECT project, run, metric, rank, min(first_step) AS first_step, max(last_step) AS last_step,
          sum(count) AS count, sum(nonfinite) AS nonfinite, min(min) AS min, max(max) AS max,
          argMaxMergeState(last) AS last
        FROM ${db}.${tierTable(TIER_WIDTHS[TIER_WIDTHS.length - 1]!)} GROUP BY project, run, metric, rank`,

      // Every RunInfo a client sent; reads take, per field, the latest non-empty one.
      `CREATE TABLE IF NOT EXISTS ${db}.run_info (
        project LowCardinality(String), run String, version UInt64, received_ms Int64,
        name String, config_json String, tags Array(String), status UInt8,
        started_ms Int64, finished_ms Int64, meta Map(String, String)
      ) ENGINE = MergeTree ORDER BY (project, run, version) SETTINGS ${DEDUP}`,

      // Client batches stored, by (project, run, client_id, sequence): a retry is skipped.
      `CREATE TABLE IF NOT EXISTS ${db}.batches (
        key String, project LowCardinality(String), run String, client_id String, sequence UInt64,
        token String, points UInt64, received_ms Int64
      ) ENGINE = ReplacingMergeTree ORDER BY key
        TTL toDateTime(intDiv(received_ms, 1000)) + INTERVAL ${BATCH_KEY_DAYS} DAY
        SETTINGS ${DEDUP}`,
    ],
  },
];
