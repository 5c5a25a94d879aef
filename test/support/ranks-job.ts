// The many-ranks job the cross-rank reads are checked on (issue 12): 128 ranks
// logging step_time and tokens, an elastic restart down to 96 ranks, ranks
// that start late, a gap, stragglers from some step on, NaN/±Inf and exact
// ties for the min and the max, and metrics at rank -1.
import type { LineageBatch } from './lineage-log.js';
import type { TestSeries } from './requests.js';

export const RUN = 'job';
export const RANKS = 128;
/** Steps between two points of a rank: odd, so steps fall anywhere in a bucket. */
export const STRIDE = 293;
/** Attempt 0 logs [FIRST, A0_END); attempt 1 resumes at RESUME with fewer ranks and logs to A1_END. */
export const FIRST = 1000;
export const A0_END = 420_000;
export const RESUME = 350_000;
export const A1_END = 700_000;
export const A1_RANKS = 96;
/** Ranks 120..127 join at LATE_START. */
export const LATE_RANKS = 120;
export const LATE_START = 150_000;
/** Ranks 30..33 log nothing in [GAP_FROM, GAP_TO). */
export const GAP_RANKS = [30, 31, 32, 33];
export const GAP_FROM = 200_000;
export const GAP_TO = 260_000;
/** Ranks 128 and 129 log only from SUPERSEDED_FROM in attempt 0: all superseded by attempt 1, so R stays 128. */
export const GHOST_RANKS = [128, 129];
export const SUPERSEDED_FROM = 380_000;
/** Slower from a step on: rank 77 from 200,000 (both attempts), ranks 7, 50, 91 from 500,000. */
export const SLOW_FROM = new Map([[77, 200_000], [7, 500_000], [50, 500_000], [91, 500_000]]);
/** tokens: 2 at every rank but these (rank 12 only +Infinity, rank 11 NaN now and then). */
const TOKENS = new Map([[9, 4], [5, 2.5], [6, 2.5], [7, 1.5], [12, Infinity]]);

function hash(rank: number, step: number, attempt: number): number {
  let h = Math.imul(step ^ 0x5bd1e995, 0x27d4eb2d) ^ Math.imul(rank + 11, 0x165667b1) ^ Math.imul(attempt + 5, 0x61c88647);
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  return (h ^ (h >>> 12)) >>> 0;
}

/**
 * step_time of a rank at the i-th step of its attempt: about 1.05, a straggler
 * higher; NaN and ±Infinity now and then; at some steps several ranks log
 * exactly 0.5 (a tie for the min) or exactly 5 (a tie for the max).
 */
export function stepTime(attempt: number, rank: number, step: number, i: number): number {
  if (i % 50 === 0 && (rank + i / 50) % 9 === 4) return 0.5;
  if (i % 50 === 25 && (rank * 7 + i) % 11 === 3) return 5;
  const h = hash(rank, step, attempt);
  if (h % 701 === 0) return NaN;
  if (h % 701 === 1) return Infinity;
  if (h % 701 === 2) return -Infinity;
  const slow = step >= (SLOW_FROM.get(rank) ?? Infinity) ? (rank === 77 ? 0.3 : 0.6) : 0;
  return 1 + attempt / 64 + ((h >>> 10) % 1000) / 10_000 + slow;
}

/** tokens at the i-th step of an attempt (every 4th step has one). */
export function tokens(rank: number, i: number): number {
  if (rank === 11 && (i / 4) % 10 === 3) return NaN;
  return TOKENS.get(rank) ?? 2;
}

/** Whether a rank logs at a step of an attempt. */
function logs(attempt: number, rank: number, step: number): boolean {
  if (GHOST_RANKS.includes(rank)) return attempt === 0 && step >= SUPERSEDED_FROM;
  if (attempt === 1) return rank < A1_RANKS;
  if (rank >= LATE_RANKS && step < LATE_START) return false;
  return !(GAP_RANKS.includes(rank) && step >= GAP_FROM && step < GAP_TO);
}

interface AttemptSpan { attempt: number; from: number; to: number; ranks: number; resumeStep?: number }
const ATTEMPTS: AttemptSpan[] = [
  { attempt: 0, from: FIRST, to: A0_END, ranks: RANKS + GHOST_RANKS.length },
  { attempt: 1, from: RESUME, to: A1_END, ranks: A1_RANKS, resumeStep: RESUME },
];
/** Steps each batch covers. */
const BATCH_STEPS = 100_000;

/**
 * Every batch of the job, attempt after attempt, each rank its own client
 * (sequence from 1 in every attempt). Each batch: the rank's step_time at every
 * step and tokens at every 4th; rank 0's also carry rank -1's step_time (1000,
 * from step 0 to past the ranks' last: kept out of every cross-rank answer) and lr.
 */
export function jobBatches(): LineageBatch[] {
  const out: LineageBatch[] = [];
  for (const a of ATTEMPTS) {
    const grid: number[] = [];
    for (let s = a.from; s < a.to; s += STRIDE) grid.push(s);
    for (let rank = 0; rank < a.ranks; rank++) {
      let sequence = 0;
      for (let lo = a.attempt === 0 ? 0 : a.from; lo < a.to; lo += BATCH_STEPS) {
        const hi = Math.min(a.to, lo + BATCH_STEPS);
        const time: TestSeries = { metric: 'step_time', rank, steps: [], values: [] };
        const tok: TestSeries = { metric: 'tokens', rank, steps: [], values: [] };
        grid.forEach((step, i) => {
          if (step < lo || step >= hi || !logs(a.attempt, rank, step)) return;
          time.steps.push(step);
          time.values.push(stepTime(a.attempt, rank, step, i));
          if (i % 4 === 0) { tok.steps.push(step); tok.values.push(tokens(rank, i)); }
        });
        const series = [time, tok].filter((s) => s.steps.length > 0);
        // Rank -1's last batch runs on past the ranks' last step.
        if (rank === 0) series.push(...runLevel(lo, a.attempt === 1 && hi === a.to ? A1_END + 20_000 : hi));
        if (series.length === 0) continue;
        const batch: LineageBatch = { run: RUN, attempt: a.attempt, clientId: `${RUN}:rank${rank}`, sequence: ++sequence, series };
        if (rank === 0 && sequence === 1 && a.resumeStep !== undefined) batch.info = { resumeStep: a.resumeStep };
        out.push(batch);
      }
    }
  }
  return out;
}

/** Rank -1 in [lo, hi): step_time 1000 and lr every 1,000 steps. */
function runLevel(lo: number, hi: number): TestSeries[] {
  const steps: number[] = [];
  for (let s = Math.ceil(lo / 1000) * 1000; s < hi; s += 1000) steps.push(s);
  return [
    { metric: 'step_time', rank: -1, steps, values: steps.map(() => 1000) },
    { metric: 'lr', rank: -1, steps, values: steps.map((s) => 1 / (1 + s / 1e5)) },
  ];
}

/**
 * A small run: only ranks 0, 3 and 5 log `mem` (R = 6: rows of absent ranks;
 * no rank -1; ties for the max at 8), and rank -1 alone logs `lr`.
 */
export function sparseBatches(run = 'sparse'): LineageBatch[] {
  return [0, 3, 5].map((rank) => {
    const steps = Array.from({ length: 400 }, (_, i) => i * 7 + rank);
    const values = steps.map((s, i) => (i % 97 === 13 ? NaN : i % 10 === 0 ? 8 : 1 + ((s * 37 + rank * 11) % 101) / 16));
    const series: TestSeries[] = [{ metric: 'mem', rank, steps, values }];
    if (rank === 0) series.push({ metric: 'lr', rank: -1, steps, values: steps.map((s) => 1 / (1 + s)) });
    return { run, attempt: 0, clientId: `${run}:rank${rank}`, sequence: 1, series };
  });
}

/**
 * A run whose ranks straddle the rollup's bitmap (schema-ranks.ts,
 * RANK_BITS = 16,384: word edges at 63/64, the last bit, the first listed
 * rank, a rank near 2^31), each rank sending its steps in two batches that
 * overlap (a step twice from one rank, in two write sets), with ties.
 */
export function highRankBatches(run = 'high'): LineageBatch[] {
  const ranks = [0, 63, 64, 16_383, 16_384, 70_000, 2_147_483_000];
  return ranks.flatMap((rank, r) => [[0, 300], [250, 600]].map(([from, to], b) => {
    const steps = Array.from({ length: to! - from! }, (_, i) => from! + i);
    const values = steps.map((s) => (s % 50 === 7 ? Infinity : s % 9 === 0 ? 4 : 1 + ((s * 13 + r * 7) % 17) / 8));
    return { run, attempt: 0, clientId: `${run}:rank${rank}`, sequence: b + 1, series: [{ metric: 'mem', rank, steps, values }] };
  }));
}
