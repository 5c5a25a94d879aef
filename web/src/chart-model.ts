// What a chart draws, as columnar arrays on one shared x: one layer per run
// (or per anything a panel source adds), each a line with an optional min–max
// band, plus markers where buckets hold NaN/±Inf, and vertical marks (restart
// boundaries and the like, added by decorators). Pure: no DOM.
import { smooth, type Smoothing } from './smoothing.js';
import { num, type Series } from './types.js';
import type { XAxis } from './view-state.js';

export interface Layer {
  /** Stable key (run id, or `run/rank` ...) for legends and tests. */
  key: string;
  label: string;
  color: string;
  /** The line: each bucket's mean, smoothed as the view asks. */
  line: (number | null)[];
  /** The unsmoothed means the line is drawn from. */
  mean: (number | null)[];
  band?: { min: (number | null)[]; max: (number | null)[] };
  /** Per x: the count of NaN/±Inf points, and which kinds, where a bucket holds any. */
  nonfinite?: { index: number; count: number; kinds: string[] }[];
  dash?: number[];
  /** A band across ranks: which rank holds each bucket's min and max (named in the legend). */
  bandRanks?: { min: (number | null)[]; max: (number | null)[] };
  /** Per x: the first step of this layer's bucket there (null where it has none); on a time axis runs' x interleave. */
  steps: (number | null)[];
}

/** A vertical mark; its label is drawn above the plot, `short` where the whole label has no room. */
export interface Vertical { x: number; label: string; short: string; color: string }

export interface ChartModel {
  /** Shared x, ascending: steps, or ms (wall clock or since start). */
  x: number[];
  xAxis: XAxis;
  layers: Layer[];
  verticals: Vertical[];
  /** The x range to show (the zoom, mapped to the axis), or null to fit the data. */
  xRange: [number, number] | null;
  /** Bucket width of the answers, in steps (1 = raw points). */
  bucket: number;
  /** The first step of the bucket at each x (the same as x on the step axis): maps a drag on a time axis to steps. */
  steps: number[];
  /** What the panel could not draw (a run without this metric ...), shown under the chart. */
  notes: string[];
}

export interface RunSeries { key: string; label: string; color: string; series: Series; startMs: number | null }

/** x of each bucket of `s` on the chosen axis (null where the time is not known). */
export function bucketX(s: Series, axis: XAxis, startMs: number | null): (number | null)[] {
  if (axis === 'step') return s.x;
  const t = s.time_first ?? [];
  const origin = axis === 'relative' ? (startMs ?? firstTime(t) ?? 0) : 0;
  return s.x.map((_, i) => { const v = t[i]; return v === null || v === undefined ? null : v - origin; });
}

function firstTime(t: (number | null)[]): number | null {
  for (const v of t) if (v !== null) return v;
  return null;
}

/** Builds the model: the runs' buckets joined on one x, lines smoothed over each run's own buckets. */
export function buildModel(runs: RunSeries[], axis: XAxis, smoothing: Smoothing, logY: boolean): ChartModel {
  const xs = runs.map((r) => bucketX(r.series, axis, r.startMs));
  const all = new Set<number>();
  for (const x of xs) for (const v of x) if (v !== null) all.add(v);
  const x = [...all].sort((a, b) => a - b);
  const at = new Map(x.map((v, i) => [v, i]));
  const steps: number[] = new Array(x.length).fill(0);
  xs.forEach((xr, ri) => xr.forEach((v, i) => { if (v !== null) steps[at.get(v)!] = runs[ri]!.series.x[i]!; }));
  const layers = runs.map((r, ri) => {
    const s = r.series;
    const mean = s.mean.map(num), min = s.min.map(num), max = s.max.map(num);
    const finite = s.count.map((c, i) => c - (s.nonfinite[i] ?? 0));
    const line = smooth(smoothing, mean, finite);
    const col = (vals: (number | null)[]) => spread(vals, xs[ri]!, at, x.length, logY);
    const nonfinite: NonNullable<Layer['nonfinite']> = [];
    s.nonfinite.forEach((n, i) => {
      const xi = xs[ri]![i];
      if (n > 0 && xi !== null && xi !== undefined) nonfinite.push({ index: at.get(xi)!, count: n, kinds: kindsOf(s, i) });
    });
    const own: (number | null)[] = new Array(x.length).fill(null);
    xs[ri]!.forEach((v, i) => { if (v !== null) own[at.get(v)!] = s.x[i]!; });
    return { key: r.key, label: r.label, color: r.color, line: col(line), mean: col(mean), band: { min: col(min), max: col(max) }, nonfinite, steps: own };
  });
  return { x, xAxis: axis, layers, verticals: [], xRange: null, bucket: runs[0]?.series.bucket ?? 1, steps, notes: [] };
}

/** The steps of the buckets at x index i, one per layer that has one there (several runs meet at one time on a time axis). */
export function stepsAt(m: ChartModel, i: number): number[] {
  return m.layers.flatMap((l) => { const s = l.steps[i]; return s === null || s === undefined ? [] : [s]; });
}

/** Places a run's per-bucket values on the shared x; on a log axis values <= 0 are left out. */
function spread(vals: (number | null)[], xs: (number | null)[], at: Map<number, number>, n: number, logY: boolean): (number | null)[] {
  const out: (number | null)[] = new Array(n).fill(null);
  vals.forEach((v, i) => {
    const xi = xs[i];
    if (xi === null || xi === undefined || v === null || !Number.isFinite(v) || (logY && v <= 0)) return;
    out[at.get(xi)!] = v;
  });
  return out;
}

/** Which non-finite values a bucket is known to hold: first and last name theirs; the rest counts as NaN/Inf. */
function kindsOf(s: Series, i: number): string[] {
  const kinds = new Set<string>();
  for (const v of [s.first[i], s.last[i]]) if (typeof v === 'string') kinds.add(v === 'Infinity' ? '+Inf' : v === '-Infinity' ? '-Inf' : 'NaN');
  return kinds.size ? [...kinds] : ['NaN/Inf'];
}

/** Distinct colours for many runs: ten hand-picked, then hues by the golden angle. */
const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f'];
export function colorOf(i: number): string {
  if (i < PALETTE.length) return PALETTE[i]!;
  const hue = Math.round((i * 137.508) % 360);
  return `hsl(${hue} 65% ${i % 2 ? 40 : 52}%)`;
}
