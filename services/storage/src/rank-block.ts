// The rollup across ranks (schema-ranks.ts) of a write set, computed here from
// its points and inserted beside them: one row per (project, run, metric,
// attempt, step) over the ranks >= 0 of this write set. NOTE: computed by the
// writer, not by a materialized view: a view grouping every point by step
// cost each insert 4-9x (docs/performance.md).
import { nativeBlock, seriesKeyColumns, type NativeColumn, type Piece } from './native.js';
import type { SeriesRows } from './points-block.js';
import { RANK_BITS } from './schema-ranks.js';

export const RANK_STEP_COLUMNS = ['project', 'run', 'metric', 'attempt', 'step', 'min', 'min_rank', 'max', 'max_rank', 'sum', 'count', 'nonfinite', 'ranks', 'ranks_high'] as const;

/** The rows of one (project, run, metric, attempt) in step order, a value per row in each array; `words` 32-bit halves of the bitmap words a row. */
export interface Group {
  project: string; run: string; metric: string; attempt: number;
  step: Float64Array; min: Float64Array; minRank: Int32Array; max: Float64Array; maxRank: Int32Array; sum: Float64Array; count: Float64Array; nonfinite: Float64Array;
  words: number; bits: Uint32Array; high: Map<number, Set<number>>;
}

/** Steps a group's rows may span and still be indexed by offset from its first step (8 MB of figures). */
const DENSE_MAX = 1 << 20;

/** Where each step's row is: its offset from `lo` when the steps are close together, else its place in `steps`, the sorted distinct steps. */
interface RowIndex { rows: number; lo: number; steps: Float64Array | null }

function rowIndex(members: readonly SeriesRows[]): RowIndex {
  let lo = Infinity, hi = -Infinity, longest = 0;
  for (const s of members) {
    longest = Math.max(longest, s.steps.length);
    for (let i = 0; i < s.steps.length; i++) { const step = s.steps[i]!; if (step < lo) lo = step; if (step > hi) hi = step; }
  }
  const span = hi - lo + 1;
  if (span <= DENSE_MAX && span <= 2 * longest + 1024) return { rows: span, lo, steps: null };
  const all = new Float64Array(members.reduce((n, s) => n + s.steps.length, 0));
  let at = 0;
  for (const s of members) { all.set(s.steps, at); at += s.steps.length; }
  all.sort();
  let n = 0;
  for (let i = 0; i < all.length; i++) if (i === 0 || all[i] !== all[n - 1]) all[n++] = all[i]!;
  return { rows: n, lo, steps: all.subarray(0, n) };
}

function search(steps: Float64Array, step: number): number {
  let a = 0, b = steps.length - 1;
  while (a < b) { const m = (a + b) >> 1; if (steps[m]! < step) a = m + 1; else b = m; }
  return a;
}

/** One group's rows from its series (ranks ascending), without the rows of steps no point has. */
function groupOf(members: readonly SeriesRows[]): Group {
  const first = members[0]!, { rows, lo, steps: sparse } = rowIndex(members);
  let top = -1;
  for (const s of members) if (s.rank < RANK_BITS) top = Math.max(top, s.rank);
  const words = top < 0 ? 0 : 2 * ((top >> 6) + 1);
  const min = new Float64Array(rows).fill(Infinity), max = new Float64Array(rows).fill(-Infinity), sum = new Float64Array(rows);
  const minRank = new Int32Array(rows), maxRank = new Int32Array(rows), count = new Float64Array(rows), nonfinite = new Float64Array(rows);
  const bits = new Uint32Array(rows * words), high = new Map<number, Set<number>>();
  for (const s of members) {
    const rank = s.rank, low = rank < RANK_BITS;
    const word = 2 * (rank >> 6) + ((rank & 63) >> 5), bit = 1 << (rank & 31);
    for (let i = 0; i < s.steps.length; i++) {
      const step = s.steps[i]!, row = sparse ? search(sparse, step) : (step - lo) | 0, v = s.values[i]!;
      count[row]!++;
      if (Number.isFinite(v)) {
        if (v < min[row]!) { min[row] = v; minRank[row] = rank; }
        if (v > max[row]!) { max[row] = v; maxRank[row] = rank; }
        sum[row]! += v;
      } else nonfinite[row]!++;
      if (low) bits[row * words + word]! |= bit;
      else {
        let set = high.get(row);
        if (!set) high.set(row, (set = new Set()));
        set.add(rank);
      }
    }
  }
  // Compacted in place: the rows of steps with points, in step order.
  const step = new Float64Array(rows);
  const kept = new Map<number, Set<number>>();
  let n = 0;
  for (let row = 0; row < rows; row++) {
    if (count[row] === 0) continue;
    step[n] = sparse ? sparse[row]! : lo + row; min[n] = min[row]!; max[n] = max[row]!; sum[n] = sum[row]!;
    minRank[n] = minRank[row]!; maxRank[n] = maxRank[row]!; count[n] = count[row]!; nonfinite[n] = nonfinite[row]!;
    if (words) bits.copyWithin(n * words, row * words, (row + 1) * words);
    const set = high.get(row);
    if (set) kept.set(n, set);
    n++;
  }
  return {
    project: first.project, run: first.run, metric: first.metric, attempt: first.attempt,
    step: step.subarray(0, n), min: min.subarray(0, n), minRank: minRank.subarray(0, n), max: max.subarray(0, n), maxRank: maxRank.subarray(0, n),
    sum: sum.subarray(0, n), count: count.subarray(0, n), nonfinite: nonfinite.subarray(0, n), words, bits: bits.subarray(0, n * words), high: kept,
  };
}

/**
 * The write set's rows across ranks, one group per (project, run, metric,
 * attempt). Series come sorted by (project, run, metric, rank, attempt), so a
 * group's series are met lowest rank first: a tie for the min or the max
 * keeps the lowest rank. NOTE: typed arrays indexed by row, one pass over the
 * points (a row made per point through a map and growing arrays cost ~3x).
 */
export function rankStepsOf(series: readonly SeriesRows[]): Group[] {
  const members = new Map<string, SeriesRows[]>();
  for (const s of series) {
    if (s.rank < 0 || s.steps.length === 0) continue;
    const key = `${s.project}\u0000${s.run}\u0000${s.metric}\u0000${s.attempt}`;
    const list = members.get(key);
    if (list) list.push(s);
    else members.set(key, [s]);
  }
  return [...members.values()].map(groupOf);
}

/** The Native block of the rows (RANK_STEP_COLUMNS). */
export function encodeRankBlock(groups: readonly Group[]): Piece[] {
  const rows = groups.reduce((n, g) => n + g.step.length, 0);
  // NOTE: each group's arrays are pieces of their column, written out as they are (native.ts): not copied into one array.
  const pieces = (pick: (g: Group) => Float64Array | Int32Array) => groups.map(pick);
  // Array columns: the rows' end offsets (UInt64), then the elements.
  const wordEnds = new BigUint64Array(rows), highEnds = new BigUint64Array(rows);
  const words = new Uint32Array(groups.reduce((n, g) => n + g.bits.length, 0));
  const high: number[] = [];
  let r = 0, w = 0;
  for (const g of groups) {
    words.set(g.bits, w);
    for (let row = 0; row < g.step.length; row++, r++) {
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
    { name: 'step', type: 'Float64', data: pieces((g) => g.step) },
    { name: 'min', type: 'Float64', data: pieces((g) => g.min) },
    { name: 'min_rank', type: 'Int32', data: pieces((g) => g.minRank) },
    { name: 'max', type: 'Float64', data: pieces((g) => g.max) },
    { name: 'max_rank', type: 'Int32', data: pieces((g) => g.maxRank) },
    { name: 'sum', type: 'Float64', data: pieces((g) => g.sum) },
    { name: 'count', type: 'Float64', data: pieces((g) => g.count) },
    { name: 'nonfinite', type: 'Float64', data: pieces((g) => g.nonfinite) },
    { name: 'ranks', type: 'Array(UInt64)', data: [wordEnds, words] },
    { name: 'ranks_high', type: 'Array(Int32)', data: [highEnds, Int32Array.from(high)] },
  ];
  return nativeBlock(rows, columns);
}
