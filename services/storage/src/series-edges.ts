// A cut segment's raw points beside its cuts, read once and kept. A series
// read from a tier counts each segment's points at the coarsest level whose
// bucket lies wholly inside the segment (segments.ts); the points between a
// cut and the next tier bucket come from the raw points. Those few points are
// most of what a restarted run's view costs over a plain one (each cut is a
// part of the statement with its own index work), and they never change while
// their attempt's stored point count stands: they are aggregated per tier
// bucket, kept under that count, and merged into the answer in JS.
//
// NOTE: only reads whose levels are raw points and one tier (levelsUpTo: the
// source tier of 256 or 4,096 steps) keep their edges. A count that stands
// means the raw points it counts are stored (the count is a view over the
// points' own insert), but not yet the writer's tier rows of them: a coarser
// read's edges, which take rows of a finer tier too, could be kept half made.
import { stringLiteral } from './adapter.js';
import { MERGE_PARTS, MERGE_TIMES, OPEN_STEP, levelRanges, levelValues, levelsUpTo, type ReadSegment } from './segments.js';
import type { SeriesColumns } from './series-columns.js';
import { SERIES_KEY, keyPlace, keyTest } from './series-keys.js';

/** Segments' edge rows kept at most (a row per tier bucket a cut falls in, ~150 bytes); the one used longest ago goes first. */
export const EDGE_ROWS = 200_000;

/** Edges one statement reads at most (its text grows by ~400 bytes an edge; the engine's parser takes 256 KB). */
const EDGES_AT_ONCE = 300;

/** The raw points of one segment of one series beside its cuts, per bucket of `top` steps: MERGE_PARTS's values, and MERGE_TIMES's (kept for x=time reads). */
export interface EdgeRow { x: number; fs: number; ls: number; mn: number; mx: number; s: number; c: number; nf: number; f: number; l: number; tf: number; tl: number }

/** One series' segment whose edges a read needs, with the point count its attempt had when the lineage was read. */
export interface EdgeRead { run: string; metric: string; rank: number; seg: ReadSegment & { points: number }; top: number }

/** Whether a read of `source` keeps its edges apart: a tier read whose only finer level is the raw points. */
export const edgesApart = (source: number) => source > 0 && levelsUpTo(source, true).length === 2;

/** The raw step ranges of a segment below the tier `top` (levelRanges, unclipped: a range's ends are whole tier buckets). */
export const edgeRanges = (seg: ReadSegment, top: number) => levelRanges(seg, 1, top, {});

const edgeKey = (project: string, e: EdgeRead) =>
  JSON.stringify([project, e.run, e.metric, e.rank, e.seg.attempt, e.seg.points, e.seg.from, e.seg.to, e.seg.wideFrom, e.seg.wideTo, e.top]);

type ReadRows = (sql: string) => Promise<Record<string, Float64Array>>;

export class SeriesEdges {
  private readonly cache = new Map<string, EdgeRow[]>();
  private rows = 0;

  constructor(private readonly db: string, private readonly maxRows = EDGE_ROWS) {}

  /** Each edge read's rows, in the order asked: those kept, the others read (statements of EDGES_AT_ONCE) and kept. */
  async of(project: string, edges: readonly EdgeRead[], read: ReadRows): Promise<EdgeRow[][]> {
    const out: EdgeRow[][] = new Array(edges.length);
    const missing: number[] = [];
    edges.forEach((e, i) => {
      const k = edgeKey(project, e), hit = this.cache.get(k);
      if (!hit) { missing.push(i); return; }
      this.cache.delete(k);
      this.cache.set(k, hit);
      out[i] = hit;
    });
    for (const batch of statementsOf(missing.map((i) => edges[i]!)).map((b) => b.map((j) => missing[j]!))) {
      const got = groupRows(await read(this.statement(project, batch.map((i) => edges[i]!))), batch.length);
      batch.forEach((i, j) => { out[i] = got[j]!; this.keep(edgeKey(project, edges[i]!), got[j]!); });
    }
    return out;
  }

  private keep(key: string, rows: EdgeRow[]): void {
    this.cache.set(key, rows);
    this.rows += rows.length + 1;
    for (const [k, v] of this.cache) {
      if (this.rows <= this.maxRows) break;
      this.cache.delete(k);
      this.rows -= v.length + 1;
    }
  }

  /**
   * One statement over some edges (one tier, each series' attempt once):
   * rows (e, x, MERGE_PARTS) by edge and tier bucket, e the edge's place.
   * NOTE: the step ranges are in the WHERE, so that they bound the index (the
   * granules beside each cut are read, not the series); an edge's place comes
   * from its key by transform(), not by testing every edge's ranges per row.
   */
  private statement(project: string, edges: readonly EdgeRead[]): string {
    const top = edges[0]!.top;
    const arms = edges.map((e) => {
      const ranges = edgeRanges(e.seg, top).map(([lo, hi]) => `(step >= ${lo} AND step < ${hi})`);
      return `(${keyTest([{ ...e, attempt: e.seg.attempt }], [...SERIES_KEY, 'attempt'])} AND (${ranges.join(' OR ') || 'false'}))`;
    });
    const place = keyPlace(edges.map((e) => ({ ...e, attempt: e.seg.attempt })), edges.map((_, i) => i), [...SERIES_KEY, 'attempt']);
    return `SELECT toUInt32(e_) AS e, x, ${MERGE_PARTS}, ${MERGE_TIMES} FROM (
      SELECT ${place} AS e_, intDiv(step, ${top}) * ${top} AS x, ${levelValues(1, true)}
      FROM ${this.db}.points WHERE project = ${stringLiteral(project)} AND ${keyTest(edges)}
        AND (${arms.join(' OR ')}))
      GROUP BY e_, x ORDER BY e_, x`;
  }
}

/** The edges (by place) each statement reads: one tier a statement, a series' attempt once in it, at most EDGES_AT_ONCE. */
function statementsOf(edges: readonly EdgeRead[]): number[][] {
  const out: { top: number; taken: Set<string>; places: number[] }[] = [];
  edges.forEach((e, i) => {
    const k = JSON.stringify([e.run, e.metric, e.rank, e.seg.attempt]);
    let s = out.find((b) => b.top === e.top && !b.taken.has(k) && b.places.length < EDGES_AT_ONCE);
    if (!s) out.push((s = { top: e.top, taken: new Set(), places: [] }));
    s.taken.add(k);
    s.places.push(i);
  });
  return out.map((s) => s.places);
}

function groupRows(c: Record<string, Float64Array>, n: number): EdgeRow[][] {
  const out: EdgeRow[][] = Array.from({ length: n }, () => []);
  const e = c['e'] ?? new Float64Array(0);
  const col = (k: string) => c[k]!;
  const [x, fs, ls, mn, mx, s, cnt, nf, f, l, tf, tl] = ['x', 'fs', 'ls', 'mn', 'mx', 's', 'c', 'nf', 'f', 'l', 'tf', 'tl'].map(col) as Float64Array[];
  for (let i = 0; i < e.length; i++) {
    out[e[i]!]!.push({ x: x![i]!, fs: fs![i]!, ls: ls![i]!, mn: mn![i]!, mx: mx![i]!, s: s![i]!, c: cnt![i]!, nf: nf![i]!, f: f![i]!, l: l![i]!, tf: tf![i]!, tl: tl![i]! });
  }
  return out;
}

/**
 * A read's columns with its edge rows merged in, as mergeLevels merges a
 * bucket's levels: each edge row into the answer bucket holding it (`bucket`
 * wide), within the range [lo, hi); a bucket that only edges fill is added.
 * Rows are added in the order given, after the tier's row.
 */
export function mergeEdges(c: SeriesColumns, rows: readonly EdgeRow[], bucket: number, range: { lo?: number; hi?: number }): SeriesColumns {
  const lo = range.lo ?? -OPEN_STEP, hi = range.hi ?? OPEN_STEP;
  const mine = rows.filter((r) => r.x >= lo && r.x < hi).map((r) => ({ ...r, x: Math.floor(r.x / bucket) * bucket }));
  if (mine.length === 0) return c;
  mine.sort((a, b) => a.x - b.x);
  const xs = [...new Set([...c.x, ...mine.map((r) => r.x)])].sort((a, b) => a - b);
  const n = xs.length, a = () => new Float64Array(n);
  const times = c.timeFirst !== undefined && c.timeLast !== undefined;
  const o: SeriesColumns = { x: Float64Array.from(xs), firstStep: a(), lastStep: a(), min: a(), max: a(), sum: a(), count: a(), nonfinite: a(), first: a(), last: a(), ...(times ? { timeFirst: a(), timeLast: a() } : {}) };
  let ci = 0, ei = 0;
  for (let b = 0; b < n; b++) {
    const x = xs[b]!;
    let empty = true;
    if (ci < c.x.length && c.x[ci] === x) {
      o.firstStep[b] = c.firstStep[ci]!; o.lastStep[b] = c.lastStep[ci]!; o.min[b] = c.min[ci]!; o.max[b] = c.max[ci]!;
      o.sum[b] = c.sum[ci]!; o.count[b] = c.count[ci]!; o.nonfinite[b] = c.nonfinite[ci]!; o.first[b] = c.first[ci]!; o.last[b] = c.last[ci]!;
      if (o.timeFirst && o.timeLast) { o.timeFirst[b] = c.timeFirst![ci]!; o.timeLast[b] = c.timeLast![ci]!; }
      ci++; empty = false;
    }
    for (; ei < mine.length && mine[ei]!.x === x; ei++) {
      const r = mine[ei]!;
      if (empty) {
        o.firstStep[b] = r.fs; o.lastStep[b] = r.ls; o.min[b] = r.mn; o.max[b] = r.mx; o.sum[b] = r.s; o.count[b] = r.c; o.nonfinite[b] = r.nf; o.first[b] = r.f; o.last[b] = r.l;
        if (o.timeFirst && o.timeLast) { o.timeFirst[b] = r.tf; o.timeLast[b] = r.tl; }
        empty = false;
        continue;
      }
      // NOTE: a step is in one segment and at one level only: no tie between rows.
      if (r.fs < o.firstStep[b]!) { o.firstStep[b] = r.fs; o.first[b] = r.f; if (o.timeFirst) o.timeFirst[b] = r.tf; }
      if (r.ls > o.lastStep[b]!) { o.lastStep[b] = r.ls; o.last[b] = r.l; if (o.timeLast) o.timeLast[b] = r.tl; }
      if (r.mn < o.min[b]!) o.min[b] = r.mn;
      if (r.mx > o.max[b]!) o.max[b] = r.mx;
      o.sum[b]! += r.s; o.count[b]! += r.c; o.nonfinite[b]! += r.nf;
    }
  }
  return o;
}
