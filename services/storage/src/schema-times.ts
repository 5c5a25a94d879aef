// Migration 6: times in the tiers. Every tier row keeps the wall-clock time
// (time_ms) of its first and last point, so a series read by wall time merges
// the same rows a read by step does; the writer's tier keeps the receipt time
// of its write set's request too, and a view of it each run's latest receipt:
// the project list's last ingest.
import { DEDUP, rollup, type Migration } from './schema-parts.js';

/** The tiers when this migration was made: the writer's, then the views. */
const V6_TIERS = [256, 4096, 65536] as const;
/** A tier row stored before this migration has no times: these stand in, beyond every time (ingest keeps times within ±2^53). */
const NO_FIRST_TIME = 'toInt64(-4611686018427387904)';
const NO_LAST_TIME = 'toInt64(4611686018427387904)';

/** The view tiers' views of migration 5 with the time columns. */
function timedViews(db: string): string[] {
  return V6_TIERS.slice(1).map((w, i) => `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.${rollup(w)}_mv TO ${db}.${rollup(w)} AS
    SELECT src.sid AS sid, any(src.project) AS project, any(src.run) AS run, any(src.metric) AS metric, any(src.rank) AS rank,
      src.attempt AS attempt, intDiv(src.bucket, ${w}) * ${w} AS bucket,
      min(src.first_step) AS first_step, max(src.last_step) AS last_step, min(src.min) AS min, max(src.max) AS max,
      sum(src.sum) AS sum, sum(src.count) AS count, sum(src.nonfinite) AS nonfinite,
      ${i === 0
        ? `argMinState(src.first, src.first_step) AS first, argMaxState(src.last, src.last_step) AS last,
           min((src.first_step, src.first_time)) AS time_first, max((src.last_step, src.last_time)) AS time_last`
        : `argMinMergeState(src.first) AS first, argMaxMergeState(src.last) AS last,
           min(src.time_first) AS time_first, max(src.time_last) AS time_last`}
    FROM ${db}.${rollup(V6_TIERS[i]!)} AS src GROUP BY sid, attempt, bucket`);
}

export const TIMES_MIGRATION: Migration = {
  // NOTE: a point's time is the one it was sent with, else the receipt time
  // of its request. The writer's tier keeps, per row, the earliest time at
  // its first step and the latest at its last; the view tiers keep
  // (step, time) pairs, whose min and max merge to the same rule. Rows stored
  // before take the stand-ins above as their time, so a read knows which
  // buckets it must take from raw points (lineage-reads.ts). Metadata only:
  // no table is rewritten.
  // NOTE: receipt times from the writer's tier, not the points: a row per
  // series and bucket of a write set, so it costs the insert a column on a
  // few rows. The points' time_ms is the client's time when it sent one;
  // batches keeps only keyed batches, for 30 days.
  version: 6,
  name: 'times in the tiers, receipt times',
  statements: (db) => [
    ...V6_TIERS.slice(1).map((w) => `DROP VIEW IF EXISTS ${db}.${rollup(w)}_mv`),
    `ALTER TABLE ${db}.${rollup(256)} ADD COLUMN IF NOT EXISTS first_time Int64 DEFAULT ${NO_FIRST_TIME},
      ADD COLUMN IF NOT EXISTS last_time Int64 DEFAULT ${NO_LAST_TIME}, ADD COLUMN IF NOT EXISTS received_ms Int64`,
    ...V6_TIERS.slice(1).map((w) => `ALTER TABLE ${db}.${rollup(w)}
      ADD COLUMN IF NOT EXISTS time_first SimpleAggregateFunction(min, Tuple(Int64, Int64)) DEFAULT (first_step, ${NO_FIRST_TIME}),
      ADD COLUMN IF NOT EXISTS time_last SimpleAggregateFunction(max, Tuple(Int64, Int64)) DEFAULT (last_step, ${NO_LAST_TIME})`),
    ...timedViews(db),
    `CREATE TABLE IF NOT EXISTS ${db}.run_receipts (
      project LowCardinality(String), run String, received_ms SimpleAggregateFunction(max, Int64)
    ) ENGINE = AggregatingMergeTree ORDER BY (project, run) SETTINGS ${DEDUP}`,
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.run_receipts_points_mv TO ${db}.run_receipts AS
      SELECT project, run, max(received_ms) AS received_ms FROM ${db}.${rollup(256)} GROUP BY project, run`,
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.run_receipts_info_mv TO ${db}.run_receipts AS
      SELECT project, run, max(received_ms) AS received_ms FROM ${db}.run_info GROUP BY project, run`,
    // The runs stored before: the receipts the store kept (RunInfo, keyed
    // batches of the last BATCH_KEY_DAYS), and for a run with neither, its
    // points' latest time_ms (the receipt time where the client sent none).
    // A maximum, so rows the views add meanwhile, or a repeat, change nothing.
    `INSERT INTO ${db}.run_receipts SELECT project, run, max(received_ms) FROM ${db}.run_info GROUP BY project, run`,
    `INSERT INTO ${db}.run_receipts SELECT project, run, max(received_ms) FROM ${db}.batches WHERE points > 0 GROUP BY project, run`,
    `INSERT INTO ${db}.run_receipts SELECT project, run, max(time_ms) FROM ${db}.points
      WHERE (project, run) IN (SELECT project, run FROM ${db}.run_attempts WHERE (project, run) NOT IN (SELECT project, run FROM ${db}.run_receipts))
      GROUP BY project, run`,
  ],
};
