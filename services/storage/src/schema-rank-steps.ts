// Migration 8: rank rollups. One row per (run, metric, attempt, step) across
// the ranks >= 0 of a metric: the finite min and max with the rank holding
// each, the finite sum, the counts, and the set of ranks with points. The
// band across ranks (/ranks/series) reads these rows instead of every rank's
// points: at 1,024 ranks, a thousandth of the rows (docs/storage.md).
import { DEDUP, type Migration } from './schema-parts.js';

/** The largest Int32: the rank of a min that is no value (every point non-finite). */
const NO_RANK = 2147483647;

export const RANK_STEPS_MIGRATION: Migration = {
  // NOTE: min and max are (value, rank) tuples, so their merge keeps the rank
  // with the value: min((value, rank)) is the least value at its lowest rank;
  // max((value, -rank)) the greatest at its lowest rank. A non-finite point
  // stands as (+inf, NO_RANK) in the min and (-inf, -NO_RANK) in the max, so
  // any finite value wins and a step of non-finite points only reads as none.
  // The ranks are a roaring bitmap: a bucket's count of ranks is the size of
  // the union of its steps' sets, exact however a rank's points were split
  // across inserts. A rank's repeated step counts twice in count and sum, once
  // in the set, as every read counts points. Rank -1 (the run as a whole) is
  // never part of a cross-rank answer, so it is not rolled up.
  // NOTE: granules of 256 rows, not 8,192: a row holds a set of up to
  // thousands of ranks, and a zoomed band reads a few hundred steps; whole
  // granules of 8,192 sets cost a 100-step band what the full range does.
  version: 8,
  name: 'rank rollups',
  statements: (db) => {
    const select = `SELECT project, run, metric, attempt, step,
        min(if(isFinite(value), (value, rank), (inf, toInt32(${NO_RANK})))) AS mn,
        max(if(isFinite(value), (value, -rank), (-inf, toInt32(-${NO_RANK})))) AS mx,
        sum(if(isFinite(value), value, 0)) AS sum, count() AS count, countIf(NOT isFinite(value)) AS nonfinite,
        groupBitmapState(toUInt32(rank)) AS ranks
      FROM ${db}.points WHERE rank >= 0 GROUP BY project, run, metric, attempt, step`;
    return [
      `CREATE TABLE IF NOT EXISTS ${db}.rank_steps (
        project LowCardinality(String), run LowCardinality(String), metric LowCardinality(String), attempt UInt32, step Int64,
        mn SimpleAggregateFunction(min, Tuple(Float64, Int32)), mx SimpleAggregateFunction(max, Tuple(Float64, Int32)),
        sum SimpleAggregateFunction(sum, Float64), count SimpleAggregateFunction(sum, UInt64), nonfinite SimpleAggregateFunction(sum, UInt64),
        ranks AggregateFunction(groupBitmap, UInt32)
      ) ENGINE = AggregatingMergeTree ORDER BY (project, run, metric, step, attempt) SETTINGS ${DEDUP}, index_granularity = 256`,
      // The points stored before; interrupted here, the view is not made yet
      // and the migration runs again: the table is emptied first.
      `TRUNCATE TABLE ${db}.rank_steps`,
      `INSERT INTO ${db}.rank_steps ${select}`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.rank_steps_mv TO ${db}.rank_steps AS ${select}`,
    ];
  },
};
