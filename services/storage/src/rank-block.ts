// The rollup across ranks (schema-ranks.ts) of a write set, computed here from
// its points and inserted beside them: one row per (project, run, metric,
// attempt, step) over the ranks >= 0 of this write set. NOTE: computed by the
// writer, not by a materialized view: a view grouping every point by step
// cost each insert 4-9x (docs/performance.md).
import { nativeBlock, seriesKeyColumns, type NativeColumn, type Piece } from './native.js';
import type { SeriesRows } from './points-block.js';
import { RANK_BITS } from './schema-ranks.js';

export const RANK_STEP_COLUMNS = ['project', 'run', 'metric', 'attempt', 'step', 'min', 'min_rank', 'max', 'max_rank', 'sum', 'count', 'nonfinite', 'ranks', 'ranks_high'] as const;

/** The rows of one (project, run, metric, attempt), a value per row in each array; `words` 32-bit halves of the bitmap words a row. */
interface Group {
  project: string; run: string; metric: string; attempt: number;
  /** Rows by step: `dense[step - base]` (-1: none yet) where the steps are close together, the map elsewhere. */
  base: number; dense: Int32Array; rowOf: Map<number, number>;
  step: number[]; min: number[]; minRank: number[]; max: number[]; maxRank: number[]; sum: number[]; count: number[]; nonfinite: number[];
  words: number; bits: Uint32Array; high: Map<number, Set<number>>;
}

function groupOf(groups: Map<string, Group>, s: SeriesRows, words: number): Group {
  const key = `${s.project}\u0000${s.run}\u0000${s.metric}\u0000${s.attempt}`;
  let g = groups.get(key);
  if (!g) {
    groups.set(key, (g = {
      project: s.project, run: s.run, metric: s.metric, attempt: s.attempt, base: s.steps[0] ?? 0, dense: new Int32Array(1024).fill(-1), rowOf: new Map(),
      step: [], min: [], minRank: [], max: [], maxRank: [], sum: [], count: [], nonfinite: [], words, bits: new Uint32Array(0), high: new Map(),
    }));
  }
  return g;
}

/** Steps a group's dense index spans at most (4 MB). */
const DENSE_MAX = 1 << 20;

function newRow(g: Group, step: number): number {
  const row = g.step.length;
  const i = step - g.base;
  if (!(i >= 0 && i < g.dense.length)) g.rowOf.set(step, row);
  g.step.push(step); g.min.push(Infinity); g.minRank.push(0); g.max.push(-Infinity); g.maxRank.push(0);
  g.sum.push(0); g.count.push(0); g.nonfinite.push(0);
  if ((row + 1) * g.words > g.bits.length) {
    const grown = new Uint32Array(Math.max(64, 2 * (row + 1)) * g.words);
    grown.set(g.bits);
    g.bits = grown;
  }
  return row;
}

/** The row of a step (made if new). NOTE: a typed array by offset from the group's first step; a map only for steps far from it (below, or sparse). */
function rowAt(g: Group, step: number): number {
  const i = step - g.base;
  if (i >= 0 && i < DENSE_MAX && i < 8 * (g.step.length + 1024)) {
    if (i >= g.dense.length) {
      const grown = new Int32Array(Math.min(DENSE_MAX, Math.max(2 * g.dense.length, i + 1))).fill(-1);
      grown.set(g.dense);
      g.dense = grown;
    }
    const r = g.dense[i]!;
    if (r >= 0) return r;
    // A step met before the index grew over it has its row in the map.
    return (g.dense[i] = g.rowOf.get(step) ?? newRow(g, step));
  }
  return g.rowOf.get(step) ?? newRow(g, step);
}

/**
 * The write set's rows across ranks, grouped by series key. Series come
 * sorted by (project, run, metric, rank, attempt), so a (metric, rank)'s
 * points add to their steps' rows rank after rank, lowest rank first: a tie
 * for the min or the max keeps the lowest rank.
 */
export function rankStepsOf(series: readonly SeriesRows[]): Group[] {
  // The bitmap words each group's rows take: enough for its highest rank below RANK_BITS.
  const words = new Map<string, number>();
  for (const s of series) {
    if (s.rank < 0) continue;
    const key = `${s.project}\u0000${s.run}\u0000${s.metric}\u0000${s.attempt}`;
    words.set(key, Math.max(words.get(key) ?? 0, s.rank < RANK_BITS ? 2 * ((s.rank >> 6) + 1) : 0));
  }
  const groups = new Map<string, Group>();
  for (const s of series) {
    if (s.rank < 0 || s.steps.length === 0) continue;
    const g = groupOf(groups, s, words.get(`${s.project}\u0000${s.run}\u0000${s.metric}\u0000${s.attempt}`)!);
    const rank = s.rank, low = rank < RANK_BITS;
    const word = 2 * (rank >> 6) + ((rank & 63) >> 5), bit = 1 << (rank & 31);
    for (let i = 0; i < s.steps.length; i++) {
      const step = s.steps[i]!, v = s.values[i]!;
      const row = rowAt(g, step);
      g.count[row]!++;
      if (Number.isFinite(v)) {
        if (v < g.min[row]!) { g.min[row] = v; g.minRank[row] = rank; }
        if (v > g.max[row]!) { g.max[row] = v; g.maxRank[row] = rank; }
        g.sum[row]! += v;
      } else g.nonfinite[row]!++;
      if (low) g.bits[row * g.words + word]! |= bit;
      else {
        let set = g.high.get(row);
        if (!set) g.high.set(row, (set = new Set()));
        set.add(rank);
      }
    }
  }
  return [...groups.values()];
}

/** The Native block of the rows (RANK_STEP_COLUMNS). */
export function encodeRankBlock(groups: readonly Group[]): Piece[] {
  const rows = groups.reduce((n, g) => n + g.step.length, 0);
  const f64 = (pick: (g: Group) => number[]) => { const out = new Float64Array(rows); let at = 0; for (const g of groups) { out.set(pick(g), at); at += g.step.length; } return out; };
  const i32 = (pick: (g: Group) => number[]) => { const out = new Int32Array(rows); let at = 0; for (const g of groups) { out.set(pick(g), at); at += g.step.length; } return out; };
  // Array columns: the rows' end offsets (UInt64), then the elements.
  const wordEnds = new BigUint64Array(rows), highEnds = new BigUint64Array(rows);
  const totalWords = groups.reduce((n, g) => n + (g.step.length * g.words) / 2, 0);
  const words = new Uint32Array(totalWords * 2);
  const high: number[] = [];
  let r = 0, w = 0;
  for (const g of groups) {
    for (let row = 0; row < g.step.length; row++, r++) {
      words.set(g.bits.subarray(row * g.words, (row + 1) * g.words), w);
      w += g.words;
      wordEnds[r] = BigInt(w / 2);
      const set = g.high.get(row);
      if (set) high.push(...[...set].sort((a, b) => a - b));
      highEnds[r] = BigInt(high.length);
    }
  }
  const columns: NativeColumn[] = [
    // The series key columns of the rows, without the rank (a row is of every rank).
    ...seriesKeyColumns(groups.map((g) => ({ ...g, rank: 0 })), groups.map((g) => g.step.length)).filter((c) => c.name !== 'rank'),
    { name: 'step', type: 'Float64', data: f64((g) => g.step) },
    { name: 'min', type: 'Float64', data: f64((g) => g.min) },
    { name: 'min_rank', type: 'Int32', data: i32((g) => g.minRank) },
    { name: 'max', type: 'Float64', data: f64((g) => g.max) },
    { name: 'max_rank', type: 'Int32', data: i32((g) => g.maxRank) },
    { name: 'sum', type: 'Float64', data: f64((g) => g.sum) },
    { name: 'count', type: 'Float64', data: f64((g) => g.count) },
    { name: 'nonfinite', type: 'Float64', data: f64((g) => g.nonfinite) },
    { name: 'ranks', type: 'Array(UInt64)', data: [wordEnds, words] },
    { name: 'ranks_high', type: 'Array(Int32)', data: [highEnds, Int32Array.from(high)] },
  ];
  return nativeBlock(rows, columns);
}
