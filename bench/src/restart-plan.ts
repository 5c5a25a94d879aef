// A run restarted from checkpoints: where each attempt starts (its declared
// resume step), how far it logged before it crashed, and which attempt owns
// each step under the lineage rule (the highest attempt started at or below it).
import { rng } from './loss-curve.js';

/** One attempt: it declares `start` and logs every step of [start, end). */
export interface PlannedAttempt { attempt: number; start: number; end: number }

export interface RestartPlan {
  /** Effective steps: [0, steps), each owned by exactly one attempt. */
  steps: number;
  attempts: PlannedAttempt[];
  /** The steps where the owner changes (the starts of the attempts that own something), ascending. */
  boundaries: number[];
  /** The attempt that resumed from an older checkpoint than the attempt before it. */
  rollback: number;
}

export interface PlanShape {
  attempts: number;
  /** Effective steps of the whole run; each attempt owns 0.7–1.3× its share of them (the one before the rollback none). */
  steps: number;
  /** Steps an attempt logs past the next one's start before it crashes: [min, max). */
  tail: [number, number];
  seed: number;
}

/** A step not on a multiple of 256, so no tier bucket (256, 4096, 65536 steps) starts there. */
const unaligned = (s: number) => (s % 256 === 0 ? s + 37 : s);

/**
 * Attempts 1…n-1 resume at irregular steps; the attempt at 2/3 of the run
 * rolls back past the previous restart (its checkpoint was older), so the
 * attempt before it owns nothing. Every attempt but the last logs a crash
 * tail of `tail` steps past the step the next one resumes at.
 */
export function restartPlan(shape: PlanShape): RestartPlan {
  const rand = rng(shape.seed);
  const between = (lo: number, hi: number) => lo + rand() * (hi - lo);
  const n = shape.attempts;
  const rollback = Math.max(2, Math.round((2 * n) / 3));
  // In units of one attempt's share first, then scaled to the run's steps.
  const units = [0];
  for (let a = 1; a < n; a++) {
    const prev = units[a - 1]!;
    // The rollback goes back into the attempt before the previous one: between its start and the previous restart.
    units.push(a === rollback ? between(units[a - 2]! + 0.3 * (prev - units[a - 2]!), units[a - 2]! + 0.7 * (prev - units[a - 2]!)) : prev + between(0.7, 1.3));
  }
  const scale = shape.steps / (units[n - 1]! + between(0.7, 1.3));
  const starts = units.map((u, a) => (a === 0 ? 0 : unaligned(Math.floor(u * scale))));
  const tail = () => Math.floor(between(shape.tail[0], shape.tail[1]));
  const attempts = starts.map((start, a) => ({ attempt: a, start, end: a === n - 1 ? shape.steps : Math.max(start, starts[a + 1]!) + tail() }));
  const boundaries = attempts.filter((a) => a.start > 0 && ownedRange(attempts, a.attempt)[1] > a.start).map((a) => a.start).sort((x, y) => x - y);
  return { steps: shape.steps, attempts, boundaries, rollback };
}

/** The steps [from, to) attempt `a` owns: from its start to the lowest start of any later attempt (empty when one starts lower). */
export function ownedRange(attempts: readonly PlannedAttempt[], a: number): [number, number] {
  const start = attempts[a]!.start;
  let to = attempts[a]!.end;
  for (const later of attempts.slice(a + 1)) to = Math.min(to, later.start);
  return [start, Math.max(start, to)];
}

/** Points an attempt logged that a later attempt supersedes, over the whole plan. */
export function supersededSteps(plan: RestartPlan): number {
  return plan.attempts.reduce((n, a) => { const [from, to] = ownedRange(plan.attempts, a.attempt); return n + (a.end - a.start) - (to - from); }, 0);
}
