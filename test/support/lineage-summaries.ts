// What the run reads answer over a run's effective points, computed from the
// lineage reference: the run detail's per-metric summaries, the /ranks rows,
// the run list's fields and a series' points, in the API's JSON shapes.
import type { RefPoint } from './reference.js';
import type { LineageReference, PointSelection, StoredPoint } from './lineage-reference.js';

/** A number as the JSON answers carry it: NaN and the infinities as strings. */
export function jsonNumber(v: number): number | string {
  return Number.isFinite(v) ? v : Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
}

export interface SummaryAnswer {
  first_step: number;
  last_step: number;
  count: number;
  nonfinite: number;
  /** The value at the highest step (tests never log one step twice with two values). */
  last: number | string;
  /** Over finite values; null when there are none. */
  min: number | null;
  max: number | null;
}
export interface MetricAnswer extends SummaryAnswer { name: string; ranks: number }
export interface RankAnswer extends SummaryAnswer { rank: number }

/** The summary of some points of one metric and rank. */
function summarize(points: readonly StoredPoint[]): SummaryAnswer {
  let first = points[0]!, last = points[0]!, min = Infinity, max = -Infinity, nonfinite = 0;
  for (const p of points) {
    if (p.step < first.step) first = p;
    if (p.step >= last.step) last = p;
    if (Number.isFinite(p.value)) { min = Math.min(min, p.value); max = Math.max(max, p.value); } else nonfinite++;
  }
  return {
    first_step: first.step, last_step: last.step, count: points.length, nonfinite, last: jsonNumber(last.value),
    min: Number.isFinite(min) ? min : null, max: Number.isFinite(max) ? max : null,
  };
}

function groupBy<K>(points: readonly StoredPoint[], key: (p: StoredPoint) => K): Map<K, StoredPoint[]> {
  const out = new Map<K, StoredPoint[]>();
  for (const p of points) {
    const k = key(p);
    let list = out.get(k);
    if (!list) out.set(k, (list = []));
    list.push(p);
  }
  return out;
}

/** The /ranks rows of one metric, in rank order; empty when it has no points (the read's 404). */
export function rankRows(points: readonly StoredPoint[], metric: string): RankAnswer[] {
  const byRank = groupBy(points.filter((p) => p.metric === metric), (p) => p.rank);
  return [...byRank].sort((a, b) => a[0] - b[0]).map(([rank, list]) => ({ rank, ...summarize(list) }));
}

/**
 * The run detail's metrics, in name order. `last` is the last value of the
 * rank with the highest last step, the lowest such rank when several tie
 * (rank -1 first), as the run detail answers it today.
 */
export function metricSummaries(points: readonly StoredPoint[]): MetricAnswer[] {
  const byMetric = groupBy(points, (p) => p.metric);
  return [...byMetric.keys()].sort().map((name) => {
    const ranks = rankRows(points, name);
    let lastRank = ranks[0]!;
    for (const r of ranks) if (r.last_step > lastRank.last_step) lastRank = r;
    return {
      name, ranks: ranks.length, count: ranks.reduce((a, r) => a + r.count, 0), nonfinite: ranks.reduce((a, r) => a + r.nonfinite, 0),
      first_step: Math.min(...ranks.map((r) => r.first_step)), last_step: lastRank.last_step, last: lastRank.last,
      min: nullable(Math.min, ranks.map((r) => r.min)), max: nullable(Math.max, ranks.map((r) => r.max)),
    };
  });
}

const nullable = (f: (...v: number[]) => number, values: (number | null)[]): number | null => {
  const some = values.filter((v): v is number => v !== null);
  return some.length ? f(...some) : null;
};

/** The lineage fields every run read adds (GET /runs and GET /runs/:run). */
export function runFields(ref: LineageReference, run: string) {
  const effective = ref.effective(run);
  let lastStep: number | null = null;
  for (const p of effective) if (lastStep === null || p.step > lastStep) lastStep = p.step;
  return {
    id: run,
    last_step: lastStep,
    metric_count: new Set(effective.map((p) => p.metric)).size,
    attempts: ref.starts(run).size,
    fork_of: ref.declaredForkOf(run),
  };
}

/** One series' points for a read, in step order (equal steps in the order received). */
export function seriesPoints(ref: LineageReference, run: string, metric: string, rank: number, selection: PointSelection): RefPoint[] {
  return ref.select(run, selection)
    .filter((p) => p.metric === metric && p.rank === rank)
    .map((p) => ({ step: p.step, value: p.value }))
    .sort((a, b) => a.step - b.step);
}
