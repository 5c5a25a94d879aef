// Smoothing of a line drawn through buckets, defined over the raw points so
// that it is the same at every zoom level (docs/dashboard.md, "Smoothing").
//
// A bucket of f finite points with mean m stands for f points of value m. At
// raw resolution (f = 1 per bucket) both smoothers are exactly TensorBoard's
// per-point definitions; over coarser buckets they are the same recursion
// applied f times to a constant input, which is closed-form:
//   EMA:   s <- w^f s + (1 - w^f) m,  n <- n + f,  shown s / (1 - w^n)   (debiased)
//   mean of the last N points: the buckets covering them, the oldest weighed by its part.
// Buckets with no finite point (null mean) draw no line and leave the state as it was,
// as TensorBoard passes NaN through without accumulating it.

export type Smoothing = { kind: 'none' } | { kind: 'ema'; weight: number } | { kind: 'avg'; window: number };

/** The highest EMA weight allowed: its memory (~1/(1-w) points) stays under 7,000 points. */
export const MAX_EMA_WEIGHT = 0.999;
export const MAX_AVG_WINDOW = 10_000;
/** Weight left out by the history a zoomed view does not fetch (see marginPoints). */
export const NEGLIGIBLE_WEIGHT = 1e-3;

export function smooth(s: Smoothing, mean: readonly (number | null)[], finite: readonly number[]): (number | null)[] {
  if (s.kind === 'ema') return emaBuckets(mean, finite, s.weight);
  if (s.kind === 'avg') return runningAverageBuckets(mean, finite, s.window);
  return mean.slice();
}

/** TensorBoard's debiased EMA over points, taken over buckets of `finite[i]` points with mean `mean[i]`. */
export function emaBuckets(mean: readonly (number | null)[], finite: readonly number[], weight: number): (number | null)[] {
  const w = Math.min(Math.max(weight, 0), MAX_EMA_WEIGHT);
  const out: (number | null)[] = new Array(mean.length);
  let last = 0, n = 0;
  for (let i = 0; i < mean.length; i++) {
    const m = mean[i], f = finite[i] ?? 0;
    if (m === null || m === undefined || !Number.isFinite(m) || f <= 0) { out[i] = null; continue; }
    const wf = Math.pow(w, f);
    last = wf * last + (1 - wf) * m;
    n += f;
    const debias = w === 0 ? 1 : 1 - Math.pow(w, n);
    out[i] = last / debias;
  }
  return out;
}

/** The mean of the last `window` finite points (fewer at the start), over buckets. */
export function runningAverageBuckets(mean: readonly (number | null)[], finite: readonly number[], window: number): (number | null)[] {
  const n = Math.max(1, Math.min(Math.floor(window), MAX_AVG_WINDOW));
  const out: (number | null)[] = new Array(mean.length);
  // The buckets the window covers, oldest first; `head` is the oldest still in it.
  const qm: number[] = [], qf: number[] = [];
  let head = 0, sum = 0, count = 0;
  for (let i = 0; i < mean.length; i++) {
    const m = mean[i], f = finite[i] ?? 0;
    if (m === null || m === undefined || !Number.isFinite(m) || f <= 0) { out[i] = null; continue; }
    qm.push(m); qf.push(f);
    sum += m * f; count += f;
    while (count - qf[head]! >= n) { sum -= qm[head]! * qf[head]!; count -= qf[head]!; head++; }
    // The oldest bucket may hold more points than the window still needs: weigh in only its part.
    const excess = Math.max(0, count - n);
    out[i] = (sum - excess * qm[head]!) / (count - excess);
  }
  return out;
}

/** Points before a zoomed view's first step needed to smooth it as the whole run is smoothed. */
export function marginPoints(s: Smoothing): number {
  if (s.kind === 'avg') return Math.max(0, Math.floor(s.window) - 1);
  if (s.kind === 'ema') {
    const w = Math.min(Math.max(s.weight, 0), MAX_EMA_WEIGHT);
    return w === 0 ? 0 : Math.ceil(Math.log(NEGLIGIBLE_WEIGHT) / Math.log(w));
  }
  return 0;
}
