// Migration 8: the rollup across ranks. One row per (run, metric, attempt,
// step) and write set, over the ranks >= 0 of that write set's points there:
// the finite min and max with the rank holding each (the lowest on a tie),
// the finite sum, the count, the non-finite count, and which ranks have
// points (a bitmap for ranks below RANK_BITS, a list above). The writer
// computes the rows (rank-block.ts) and inserts them beside the points, as it
// does its tier; the band across ranks (rank-reads.ts) merges a bucket's
// rows. NOTE: rows of one step from several write sets stay apart (a plain
// MergeTree, as the writer's tier is): a read merges them, exactly.
import { DEDUP, type Migration } from './schema-parts.js';

/** Ranks kept in a row's bitmap (`ranks`, 64 a word); a higher rank goes to its list (`ranks_high`), so one rank of 2^31 costs a word, not 2^25 of them. */
export const RANK_BITS = 16_384;

/**
 * The rows of `rank_steps` over the points `where` picks (ranks >= 0),
 * computed by the engine: the migration's fill of the points stored before,
 * and the benchmarks that load points with INSERT … SELECT.
 */
export function rankStepsFromPoints(db: string, where: string): string {
  const finite = 'isFinite(value)';
  return `INSERT INTO ${db}.rank_steps (project, run, metric, attempt, step, min, min_rank, max, max_rank, sum, count, nonfinite, ranks, ranks_high)
    SELECT project, run, metric, attempt, step,
      min(if(${finite}, value, inf)), argMin(rank, (if(${finite}, value, inf), rank)),
      max(if(${finite}, value, -inf)), argMin(rank, (if(${finite}, -value, inf), rank)),
      sum(if(${finite}, value, 0)), count(), countIf(NOT ${finite}),
      groupBitOrForEach(if(rank < ${RANK_BITS}, arrayMap(i -> toUInt64(if(i = intDiv(rank, 64), bitShiftLeft(toUInt64(1), rank % 64), 0)), range(toUInt32(intDiv(rank, 64) + 1))), CAST([], 'Array(UInt64)'))),
      groupUniqArrayIf(rank, rank >= ${RANK_BITS})
    FROM ${db}.points WHERE rank >= 0 AND (${where})
    GROUP BY project, run, metric, attempt, step`;
}

export const RANKS_MIGRATION: Migration = {
  version: 8,
  name: 'rollup across ranks',
  statements: (db) => [
    `CREATE TABLE IF NOT EXISTS ${db}.rank_steps (
      project LowCardinality(String), run LowCardinality(String), metric LowCardinality(String), attempt UInt32, step Int64,
      min Float64, min_rank Int32, max Float64, max_rank Int32, sum Float64, count UInt64, nonfinite UInt64,
      ranks Array(UInt64), ranks_high Array(Int32)
    ) ENGINE = MergeTree ORDER BY (project, run, metric, attempt, step) SETTINGS ${DEDUP}`,
    // Emptied first: a migration stopped after its fill and run again fills once.
    `TRUNCATE TABLE ${db}.rank_steps`,
    rankStepsFromPoints(db, 'true'),
  ],
};
