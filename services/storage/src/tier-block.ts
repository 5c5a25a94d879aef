// The finest rollup tier (the writer's, WRITER_TIER), computed here from the
// points of a write set and inserted beside them as plain rows: one per series
// and bucket of this write set (reads merge the rows of a bucket cut by two
// write sets). NOTE: this replaces a materialized view over every point: a
// GROUP BY on (project, run, metric, rank, bucket) per point was the dominant
// cost of an insert (bench/README.md). The coarser tiers and the summaries
// are still materialized views, each fed from the tier below, so they read
// 1/256 of the rows or fewer. A row keeps the times of its first and last
// point (the earliest at its first step, the latest at its last) and the
// receipt time of its series' request (schema-times.ts).
import { nativeBlock, seriesKeyColumns, type Piece } from './native.js';
import type { SeriesRows } from './points-block.js';

export const TIER_COLUMNS = ['project', 'run', 'metric', 'rank', 'attempt', 'bucket', 'first_step', 'last_step', 'min', 'max', 'sum', 'count', 'nonfinite', 'first', 'last', 'first_time', 'last_time', 'received_ms'] as const;

export interface Acc {
  bucket: number; firstStep: number; lastStep: number; first: number; last: number; min: number; max: number; sum: number; count: number; nonfinite: number;
  /** The earliest time_ms at the first step, the latest at the last. */
  firstTime: number; lastTime: number;
}

function fresh(bucket: number, step: number, v: number, t: number): Acc {
  const finite = Number.isFinite(v);
  return {
    bucket, firstStep: step, lastStep: step, first: v, last: v, min: finite ? v : Infinity, max: finite ? v : -Infinity, sum: finite ? v : 0, count: 1, nonfinite: finite ? 0 : 1,
    firstTime: t, lastTime: t,
  };
}

function add(a: Acc, step: number, v: number, t: number): void {
  // Steps in order (the usual case) take the first branch alone.
  if (step > a.lastStep) { a.lastStep = step; a.last = v; a.lastTime = t; }
  else if (step < a.firstStep) { a.firstStep = step; a.first = v; a.firstTime = t; }
  else {
    if (step === a.lastStep && t > a.lastTime) a.lastTime = t;
    if (step === a.firstStep && t < a.firstTime) a.firstTime = t;
  }
  a.count++;
  if (Number.isFinite(v)) {
    if (v < a.min) a.min = v;
    if (v > a.max) a.max = v;
    a.sum += v;
  } else a.nonfinite++;
}

/**
 * Buckets of one series, in the order met. Steps in order (the usual case)
 * need no map. `times`: each point's time_ms, or one time for every point
 * (a request sent without times: its receipt time).
 */
export function bucketsOf(steps: Float64Array, values: Float64Array, width: number, times: Float64Array | number = 0): Acc[] {
  const out: Acc[] = [];
  let byBucket: Map<number, Acc> | null = null;
  let cur: Acc | null = null;
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!, v = values[i]!, t = typeof times === 'number' ? times : times[i]!;
    const bucket = step - (step % width);
    if (cur && cur.bucket === bucket) { add(cur, step, v, t); continue; }
    if (!byBucket && (!cur || bucket > cur.bucket)) { cur = fresh(bucket, step, v, t); out.push(cur); continue; }
    // Out of order: from here on, look buckets up.
    if (!byBucket) { byBucket = new Map(); for (const a of out) byBucket.set(a.bucket, a); }
    cur = byBucket.get(bucket) ?? null;
    if (cur) add(cur, step, v, t);
    else { cur = fresh(bucket, step, v, t); out.push(cur); byBucket.set(bucket, cur); }
  }
  return out;
}

/** Per series, its buckets of the writer's tier width. */
export function tiersOf(series: readonly SeriesRows[], width: number): Acc[][] {
  return series.map((s) => bucketsOf(s.steps, s.values, width, s.timeMs.length ? s.timeMs : s.receivedMs));
}

export function encodeTierBlock(series: readonly SeriesRows[], perSeries: readonly Acc[][]): Piece[] {
  const rows = perSeries.reduce((a, b) => a + b.length, 0);
  const bucket = new Float64Array(rows), firstStep = new Float64Array(rows), lastStep = new Float64Array(rows);
  const min = new Float64Array(rows), max = new Float64Array(rows), sum = new Float64Array(rows);
  const count = new Float64Array(rows), nonfinite = new Float64Array(rows);
  const first = new Float64Array(rows), last = new Float64Array(rows);
  const firstTime = new Float64Array(rows), lastTime = new Float64Array(rows), received = new Float64Array(rows);
  let i = 0;
  for (const [s, accs] of perSeries.entries()) {
    received.fill(series[s]!.receivedMs, i, i + accs.length);
    for (const a of accs) {
      bucket[i] = a.bucket; firstStep[i] = a.firstStep; lastStep[i] = a.lastStep;
      min[i] = a.min; max[i] = a.max; sum[i] = a.sum;
      count[i] = a.count; nonfinite[i] = a.nonfinite;
      first[i] = a.first; last[i] = a.last;
      firstTime[i] = a.firstTime; lastTime[i] = a.lastTime;
      i++;
    }
  }
  return nativeBlock(rows, [
    ...seriesKeyColumns(series, perSeries.map((a) => a.length)),
    { name: 'bucket', type: 'Float64', data: bucket },
    { name: 'first_step', type: 'Float64', data: firstStep },
    { name: 'last_step', type: 'Float64', data: lastStep },
    { name: 'min', type: 'Float64', data: min },
    { name: 'max', type: 'Float64', data: max },
    { name: 'sum', type: 'Float64', data: sum },
    { name: 'count', type: 'Float64', data: count },
    { name: 'nonfinite', type: 'Float64', data: nonfinite },
    { name: 'first', type: 'Float64', data: first },
    { name: 'last', type: 'Float64', data: last },
    { name: 'first_time', type: 'Float64', data: firstTime },
    { name: 'last_time', type: 'Float64', data: lastTime },
    { name: 'received_ms', type: 'Float64', data: received },
  ]);
}
