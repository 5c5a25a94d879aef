// The wall-clock times of a series' buckets: each tier row keeps the times
// of its first and last point (schema-times.ts), so they merge with the rest
// of a bucket; a row stored before that has stand-ins instead, and a bucket
// whose first or last point lies in such a row takes the time from the raw
// points at that step.
import type { Params } from './adapter.js';
import { NO_TIME, type ReadSegment } from './segments.js';
import type { SeriesColumns } from './series-columns.js';

/** Runs one read of the store (its line, its time limit) and answers its rows. */
export type RowRead = <T>(sql: string, params: Params) => Promise<T[]>;

type TimedColumns = SeriesColumns & { timeFirst: Float64Array; timeLast: Float64Array };

/**
 * Replaces each stand-in time by the time of the raw points at that step
 * (NaN when none is stored yet: a write set whose tier rows landed before its
 * points). NOTE: the steps are looked up by the points' key, so the read
 * touches the granules holding them (8192 rows each), not the whole range;
 * a store written since migration 6 never reads it.
 */
export async function timesFromPoints(read: RowRead, db: string, q: { project: string; metric: string; rank: number }, segs: readonly ReadSegment[], c: TimedColumns): Promise<void> {
  const unknown = (t: number) => !(Math.abs(t) < NO_TIME);
  const steps = new Set<number>();
  c.timeFirst.forEach((t, i) => { if (unknown(t)) steps.add(c.firstStep[i]!); });
  c.timeLast.forEach((t, i) => { if (unknown(t)) steps.add(c.lastStep[i]!); });
  if (steps.size === 0) return;
  const rows = await read<{ step: number; t0: number; t1: number }>(
    `SELECT step, min(time_ms) AS t0, max(time_ms) AS t1 FROM ${db}.points
     WHERE project = {project:String} AND run IN {runs:Array(String)} AND metric = {metric:String} AND rank = {rank:Int32}
       AND step IN {steps:Array(Int64)}
       AND arrayExists((r, a, f, t) -> r = toString(run) AND a = attempt AND step >= f AND step < t,
         {segRuns:Array(String)}, {segAttempts:Array(UInt32)}, {segFrom:Array(Int64)}, {segTo:Array(Int64)})
     GROUP BY step`,
    {
      project: q.project, metric: q.metric, rank: q.rank, runs: [...new Set(segs.map((s) => s.run))], steps: [...steps].map(BigInt),
      segRuns: segs.map((s) => s.run), segAttempts: segs.map((s) => s.attempt), segFrom: segs.map((s) => BigInt(s.from)), segTo: segs.map((s) => BigInt(s.to)),
    },
  );
  const at = new Map(rows.map((r) => [Number(r.step), { first: Number(r.t0), last: Number(r.t1) }]));
  c.timeFirst.forEach((t, i) => { if (unknown(t)) c.timeFirst[i] = at.get(c.firstStep[i]!)?.first ?? NaN; });
  c.timeLast.forEach((t, i) => { if (unknown(t)) c.timeLast[i] = at.get(c.lastStep[i]!)?.last ?? NaN; });
}
