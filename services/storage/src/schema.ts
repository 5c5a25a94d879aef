// Versioned schema. A migration is applied once, in order, at start-up and
// recorded in `schema_migrations`; never edit a released one, add the next.
// The tiers' current widths are in tiers.ts; each migration keeps its own.
import { SNAPSHOTS_MIGRATION } from './schema-snapshots.js';
import { RANKS_MIGRATION } from './schema-ranks.js';
import { TIMES_MIGRATION } from './schema-times.js';
import { DEDUP, rollup, type Migration } from './schema-parts.js';

// The layouts of earlier releases, frozen: their migrations must keep creating
// exactly what they created then, whatever the constants above become.
const V1_TIERS = [16, 256, 4096, 65536] as const;
const V1_WRITER_TIERS = [16, 256] as const;
/** From migration 3 on: the writer's tier first, then the views. */
const V4_TIERS = [256, 4096, 65536] as const;

/** The views of migration 4 with `attempt` in every key (migration 5). */
function attemptViews(db: string): string[] {
  return [
    ...V4_TIERS.slice(1).map((w, i) => `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.${rollup(w)}_mv TO ${db}.${rollup(w)} AS
      SELECT src.sid AS sid, any(src.project) AS project, any(src.run) AS run, any(src.metric) AS metric, any(src.rank) AS rank,
        src.attempt AS attempt, intDiv(src.bucket, ${w}) * ${w} AS bucket,
        min(src.first_step) AS first_step, max(src.last_step) AS last_step, min(src.min) AS min, max(src.max) AS max,
        sum(src.sum) AS sum, sum(src.count) AS count, sum(src.nonfinite) AS nonfinite,
        ${i === 0 ? 'argMinState(src.first, src.first_step) AS first, argMaxState(src.last, src.last_step) AS last' : 'argMinMergeState(src.first) AS first, argMaxMergeState(src.last) AS last'}
      FROM ${db}.${rollup(V4_TIERS[i]!)} AS src GROUP BY sid, attempt, bucket`),
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.summaries_mv TO ${db}.summaries AS
      SELECT project, run, metric, rank, attempt, min(first_step) AS first_step, max(last_step) AS last_step,
        sum(count) AS count, sum(nonfinite) AS nonfinite, min(min) AS min, max(max) AS max,
        argMaxMergeState(last) AS last
      FROM ${db}.${rollup(V4_TIERS[V4_TIERS.length - 1]!)} GROUP BY project, run, metric, rank, attempt`,
    // Each attempt's extent and size over every metric and rank: the lineage's
    // input, a few rows per run. NOTE: fed by the last view of the chain (the
    // summaries), so an attempt's points counted here are in every tier and
    // summary already: a read that trusts the lineage finds them.
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.run_attempts_mv TO ${db}.run_attempts AS
      SELECT project, run, attempt, min(first_step) AS first_step, max(last_step) AS last_step, sum(count) AS points
      FROM ${db}.summaries GROUP BY project, run, attempt`,
  ];
}

/** The view filling tier `tiers[i]` from the writer's plain rows of the tier below. */
function tierView(db: string, tiers: readonly number[], i: number): string {
  const w = tiers[i]!, below = rollup(tiers[i - 1]!);
  // NOTE: `src.` names the source rows' columns, which the aliases shadow.
  return `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.${rollup(w)}_mv TO ${db}.${rollup(w)} AS
    SELECT project, run, metric, rank, intDiv(bucket, ${w}) * ${w} AS bucket,
      min(first_step) AS first_step, max(last_step) AS last_step, min(min) AS min, max(max) AS max,
      sum(sum) AS sum, sum(count) AS count, sum(nonfinite) AS nonfinite,
      argMinState(src.first, src.first_step) AS first, argMaxState(src.last, src.last_step) AS last
    FROM ${db}.${below} AS src GROUP BY project, run, metric, rank, bucket`;
}

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

      // Rollup tiers, one table per width. The two finest were written by the
      // writer beside the points, in the same write set (since migration 3,
      // one: WRITER_TIER); each coarser tier is a materialized view over the
      // one below it. min/max/sum are over finite values: +inf/-inf/0 stand
      // in for the others.
      ...V1_TIERS.map((w) => `CREATE TABLE IF NOT EXISTS ${db}.${rollup(w)} (
        project LowCardinality(String), run LowCardinality(String), metric LowCardinality(String), rank Int32, bucket Int64,
        first_step SimpleAggregateFunction(min, Int64), last_step SimpleAggregateFunction(max, Int64),
        min SimpleAggregateFunction(min, Float64), max SimpleAggregateFunction(max, Float64),
        sum SimpleAggregateFunction(sum, Float64), count SimpleAggregateFunction(sum, UInt64),
        nonfinite SimpleAggregateFunction(sum, UInt64),
        first AggregateFunction(argMin, Float64, Int64), last AggregateFunction(argMax, Float64, Int64)
      ) ENGINE = AggregatingMergeTree ORDER BY (project, run, metric, rank, bucket) SETTINGS ${DEDUP}`),
      ...V1_TIERS.slice(V1_WRITER_TIERS.length).map((w, i) => `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.${rollup(w)}_mv TO ${db}.${rollup(w)} AS
        SELECT project, run, metric, rank, intDiv(bucket, ${w}) * ${w} AS bucket,
          min(first_step) AS first_step, max(last_step) AS last_step, min(min) AS min, max(max) AS max,
          sum(sum) AS sum, sum(count) AS count, sum(nonfinite) AS nonfinite,
          argMinMergeState(first) AS first, argMaxMergeState(last) AS last
        FROM ${db}.${rollup(V1_TIERS[i + V1_WRITER_TIERS.length - 1]!)} GROUP BY project, run, metric, rank, bucket`),

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
        FROM ${db}.${rollup(V1_TIERS[V1_TIERS.length - 1]!)} GROUP BY project, run, metric, rank`,

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
  {
    // NOTE: measured: inserting and merging argMin/argMax states cost the
    // engine ~3× more per row than plain columns, and the 16-step tier gets a
    // row per 16 points. The writer's tiers become plain partial rows (a
    // bucket cut by two write sets has two rows; every read merges rows
    // anyway); the view tiers keep their states, fed by argMinState.
    // Interrupted between its EXCHANGE and its record, this migration must be
    // finished by hand (the tiers are then already converted).
    version: 2,
    name: 'writer tiers as plain rows',
    statements: (db) => [
      `DROP VIEW IF EXISTS ${db}.${rollup(V1_TIERS[V1_WRITER_TIERS.length]!)}_mv`,
      ...V1_WRITER_TIERS.flatMap((w) => [
        `DROP TABLE IF EXISTS ${db}.${rollup(w)}_rows`,
        `CREATE TABLE ${db}.${rollup(w)}_rows (
          project LowCardinality(String), run LowCardinality(String), metric LowCardinality(String), rank Int32, bucket Int64,
          first_step Int64, last_step Int64, min Float64, max Float64, sum Float64, count UInt64, nonfinite UInt64, first Float64, last Float64
        ) ENGINE = MergeTree ORDER BY (project, run, metric, rank, bucket) SETTINGS ${DEDUP}`,
        `INSERT INTO ${db}.${rollup(w)}_rows SELECT project, run, metric, rank, bucket, first_step, last_step, min, max, sum, count, nonfinite,
          finalizeAggregation(first), finalizeAggregation(last) FROM ${db}.${rollup(w)}`,
        `EXCHANGE TABLES ${db}.${rollup(w)}_rows AND ${db}.${rollup(w)}`,
        `DROP TABLE ${db}.${rollup(w)}_rows`,
      ]),
      tierView(db, V1_TIERS, V1_WRITER_TIERS.length),
    ],
  },
  {
    // NOTE: measured: the 16-step tier (a row per 16 points, inserted and
    // merged) was ~12% of the engine's CPU per point and ~20% of the
    // all-in-one throughput; a view with buckets of 16–128 steps reads at most
    // 128 raw points per bucket instead, a few ms for 1000 buckets.
    version: 3,
    name: 'no 16-step tier',
    statements: (db) => [`DROP TABLE IF EXISTS ${db}.${rollup(16)}`],
  },
  {
    // NOTE: measured: the engine spends ~0.3 ms per key condition on a
    // small read, a tenth of a 1000-point view. The tiers are keyed by one
    // 128-bit SipHash of (project, run, metric, rank) — computed by the engine
    // from the columns on insert and from the bound parameters on read, so
    // no client of the store hashes anything — and keep those columns beside
    // it (the summaries view groups by them). Interrupted after an EXCHANGE,
    // this migration must be finished by hand.
    version: 4,
    name: 'tiers keyed by a series hash',
    statements: (db) => [
      ...[...V4_TIERS.slice(1).map((w) => `${rollup(w)}_mv`), 'summaries_mv'].map((v) => `DROP VIEW IF EXISTS ${db}.${v}`),
      ...V4_TIERS.flatMap((w, i) => {
        const keyed = `${db}.${rollup(w)}_keyed`;
        const values = i === 0
          ? 'first_step Int64, last_step Int64, min Float64, max Float64, sum Float64, count UInt64, nonfinite UInt64, first Float64, last Float64'
          : `first_step SimpleAggregateFunction(min, Int64), last_step SimpleAggregateFunction(max, Int64),
             min SimpleAggregateFunction(min, Float64), max SimpleAggregateFunction(max, Float64),
             sum SimpleAggregateFunction(sum, Float64), count SimpleAggregateFunction(sum, UInt64), nonfinite SimpleAggregateFunction(sum, UInt64),
             first AggregateFunction(argMin, Float64, Int64), last AggregateFunction(argMax, Float64, Int64)`;
        const cols = 'project, run, metric, rank, bucket, first_step, last_step, min, max, sum, count, nonfinite, first, last';
        return [
          `DROP TABLE IF EXISTS ${keyed}`,
          `CREATE TABLE ${keyed} (
            sid FixedString(16) ${i === 0 ? 'MATERIALIZED sipHash128(project, run, metric, rank)' : ''},
            project LowCardinality(String), run LowCardinality(String), metric LowCardinality(String), rank Int32, bucket Int64,
            ${values}
          ) ENGINE = ${i === 0 ? 'MergeTree' : 'AggregatingMergeTree'} ORDER BY (sid, bucket)
            SETTINGS ${DEDUP}${i === 0 ? '' : ', allow_dimensions_outside_sorting_key = 1'}`,
          `INSERT INTO ${keyed} (${i === 0 ? '' : 'sid, '}${cols}) SELECT ${i === 0 ? '' : 'sipHash128(project, run, metric, rank), '}${cols} FROM ${db}.${rollup(w)}`,
          `EXCHANGE TABLES ${keyed} AND ${db}.${rollup(w)}`,
          `DROP TABLE ${keyed}`,
        ];
      }),
      // project, run, metric and rank follow from the key: any() of one group is all of them.
      ...V4_TIERS.slice(1).map((w, i) => `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.${rollup(w)}_mv TO ${db}.${rollup(w)} AS
        SELECT src.sid AS sid, any(src.project) AS project, any(src.run) AS run, any(src.metric) AS metric, any(src.rank) AS rank,
          intDiv(src.bucket, ${w}) * ${w} AS bucket,
          min(src.first_step) AS first_step, max(src.last_step) AS last_step, min(src.min) AS min, max(src.max) AS max,
          sum(src.sum) AS sum, sum(src.count) AS count, sum(src.nonfinite) AS nonfinite,
          ${i === 0 ? 'argMinState(src.first, src.first_step) AS first, argMaxState(src.last, src.last_step) AS last' : 'argMinMergeState(src.first) AS first, argMaxMergeState(src.last) AS last'}
        FROM ${db}.${rollup(V4_TIERS[i]!)} AS src GROUP BY sid, bucket`),
      `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.summaries_mv TO ${db}.summaries AS
        SELECT project, run, metric, rank, min(first_step) AS first_step, max(last_step) AS last_step,
          sum(count) AS count, sum(nonfinite) AS nonfinite, min(min) AS min, max(max) AS max,
          argMaxMergeState(last) AS last
        FROM ${db}.${rollup(V4_TIERS[V4_TIERS.length - 1]!)} GROUP BY project, run, metric, rank`,
    ],
  },
  {
    // Run lineage (docs/storage.md): every point, tier row and summary keeps
    // the attempt it was logged by, as the last key column, so attempts never
    // merge; reads choose the effective attempt per step range. Existing rows
    // are attempt 0. Only metadata changes: no table is rewritten.
    version: 5,
    name: 'attempts and forks',
    statements: (db) => [
      ...[...V4_TIERS.slice(1).map((w) => `${rollup(w)}_mv`), 'summaries_mv'].map((v) => `DROP VIEW IF EXISTS ${db}.${v}`),
      `ALTER TABLE ${db}.points ADD COLUMN attempt UInt32 AFTER rank`,
      ...V4_TIERS.map((w) => `ALTER TABLE ${db}.${rollup(w)} ADD COLUMN attempt UInt32 AFTER rank, MODIFY ORDER BY (sid, bucket, attempt)`),
      `ALTER TABLE ${db}.summaries ADD COLUMN attempt UInt32 AFTER rank, MODIFY ORDER BY (project, run, metric, rank, attempt)`,
      `ALTER TABLE ${db}.run_info ADD COLUMN attempt UInt32, ADD COLUMN resume_step Nullable(Int64), ADD COLUMN fork_of String, ADD COLUMN fork_step Int64`,
      `ALTER TABLE ${db}.batches ADD COLUMN attempt UInt32`,
      `CREATE TABLE IF NOT EXISTS ${db}.run_attempts (
        project LowCardinality(String), run String, attempt UInt32,
        first_step SimpleAggregateFunction(min, Int64), last_step SimpleAggregateFunction(max, Int64),
        points SimpleAggregateFunction(sum, UInt64)
      ) ENGINE = AggregatingMergeTree ORDER BY (project, run, attempt) SETTINGS ${DEDUP}`,
      `INSERT INTO ${db}.run_attempts SELECT project, run, 0, min(first_step), max(last_step), sum(count) FROM ${db}.summaries GROUP BY project, run`,
      ...attemptViews(db),
    ],
  },
  TIMES_MIGRATION,
  SNAPSHOTS_MIGRATION,
  RANKS_MIGRATION,
];
