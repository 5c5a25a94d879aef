// What the series batch tests send and compare: batches with a time for
// every point, the batch read and the GET it must equal for each of its
// series, and the reference times of each bucket's first and last point.
import type { LineageBatch } from './lineage-log.js';
import type { StoredPoint } from './lineage-reference.js';
import { getJson } from './stepstream.js';

const T0 = 1_700_000_000_000;

/** A point's time: different per run, attempt and step; a step logged again in a series is 3 ms later each time. */
export function timeAt(run: string, attempt: number, step: number, repeat = 0): number {
  return T0 + attempt * 1e9 + step * 7 + run.length * 11 + repeat * 3;
}

/** The batches with time_ms on every series (from timeAt). */
export function withTimes(batches: readonly LineageBatch[]): LineageBatch[] {
  return batches.map((b) => ({
    ...b,
    series: b.series.map((s) => {
      const seen = new Map<number, number>();
      return { ...s, timeMs: s.steps.map((step) => { const n = seen.get(step) ?? 0; seen.set(step, n + 1); return timeAt(b.run, b.attempt, step, n); }) };
    }),
  }));
}

export interface BatchQuery { run: string; metric: string; rank?: number; attempt?: number }
export interface BatchRange { from?: number; to?: number; points?: number }

/** POST /v1/projects/:project/series. */
export async function postSeries(url: string, project: string, body: unknown, contentType = 'application/json'): Promise<{ status: number; body: any }> {
  const res = await fetch(`${url}/v1/projects/${encodeURIComponent(project)}/series`, {
    method: 'POST', headers: { 'content-type': contentType }, body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

/** GET .../runs/:run/series of one query of a batch, with the batch's range and budget. */
export function getSeries(url: string, project: string, q: BatchQuery, r: BatchRange): Promise<{ status: number; body: any }> {
  const params = new URLSearchParams({ metric: q.metric });
  for (const [k, v] of Object.entries({ rank: q.rank, attempt: q.attempt, from: r.from, to: r.to, points: r.points })) if (v !== undefined) params.set(k, String(v));
  return getJson(`${url}/v1/projects/${encodeURIComponent(project)}/runs/${encodeURIComponent(q.run)}/series?${params}`);
}

/** Per bucket x[i] of width `bucket`: the earliest time at its lowest step and the latest at its highest. */
export function referenceTimes(points: readonly StoredPoint[], bucket: number, x: readonly number[]): { first: number[]; last: number[] } {
  const first: number[] = [], last: number[] = [];
  for (const start of x) {
    let lo = Infinity, hi = -Infinity, tFirst = Infinity, tLast = -Infinity;
    for (const p of points) {
      if (p.step < start || p.step >= start + bucket) continue;
      if (p.step < lo) { lo = p.step; tFirst = p.timeMs!; } else if (p.step === lo) tFirst = Math.min(tFirst, p.timeMs!);
      if (p.step > hi) { hi = p.step; tLast = p.timeMs!; } else if (p.step === hi) tLast = Math.max(tLast, p.timeMs!);
    }
    first.push(tFirst);
    last.push(tLast);
  }
  return { first, last };
}
