// Latency samples: timing a request n times after a warm-up (or within a time budget), and their percentiles.
import { percentile } from './report.js';

export interface Latency { p50: number; p99: number; mean: number; n: number; bytes: number }

export function stats(ms: number[], bytes = 0): Latency {
  const s = [...ms].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p99: percentile(s, 99), mean: s.reduce((a, b) => a + b, 0) / s.length, n: s.length, bytes };
}

/** Runs `f` `warm` times untimed (with negative indexes), then `n` times timed; the times in ms. */
export async function timeIt(n: number, warm: number, f: (i: number) => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < warm; i++) await f(-1 - i);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await f(i);
    out.push(performance.now() - t);
  }
  return out;
}

/**
 * As timeIt, but stops early once `budget.min` runs are timed and `budget.ms`
 * have passed since the first timed run: for reads of a second or more.
 */
export async function timeWithin(n: number, warm: number, budget: { ms: number; min: number }, f: (i: number) => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < warm; i++) await f(-1 - i);
  const out: number[] = [];
  const deadline = performance.now() + budget.ms;
  for (let i = 0; i < n && (i < budget.min || performance.now() < deadline); i++) {
    const t = performance.now();
    await f(i);
    out.push(performance.now() - t);
  }
  return out;
}
