import { describe, expect, it } from 'vitest';
import { FORK_GAP_MS, RESTART_GAP_MS, SIM_STEP_MS, endingAt, runClock, stepTimeMs, timeOfStep } from '../src/demo-clock.js';
import type { AttemptPlan } from '../src/demo-restarts.js';

const attempts: AttemptPlan[] = [
  { attempt: 0, resumeStep: 0, endStep: 120, ranks: 8 },
  { attempt: 1, resumeStep: 100, endStep: 260, ranks: 8 },
  { attempt: 2, resumeStep: 50, endStep: 400, ranks: 6 },
];

describe('the demo\'s simulated clock', () => {
  it('runs the attempts one after the other, a restart gap between, a step every SIM_STEP_MS', () => {
    const c = runClock(attempts, 1_000);
    expect(c.attemptStartMs).toEqual([1_000, 1_000 + 120 * SIM_STEP_MS + RESTART_GAP_MS, 1_000 + (120 + 160) * SIM_STEP_MS + 2 * RESTART_GAP_MS]);
    expect(stepTimeMs(c, attempts[1]!, 101)).toBe(c.attemptStartMs[1]! + SIM_STEP_MS);
    // A step's time is its owner's: the last attempt that resumed at or below it (a rollback logged it again).
    expect(timeOfStep(attempts, c, 110)).toBe(c.attemptStartMs[2]! + 60 * SIM_STEP_MS);
    expect(timeOfStep(attempts, c, 40)).toBe(1_000 + 40 * SIM_STEP_MS);
    expect(timeOfStep(attempts, c, 300)).toBe(c.attemptStartMs[2]! + 250 * SIM_STEP_MS);
  });

  it('moves every clock by one amount so the latest end is now; a fork starts after its parent reached the fork step', () => {
    const parent = runClock(attempts, 0);
    const fork: AttemptPlan[] = [{ attempt: 0, resumeStep: 200, endStep: 400, ranks: 8 }];
    const forkClock = runClock(fork, timeOfStep(attempts, parent, 200) + FORK_GAP_MS);
    const [p, f] = endingAt([{ clock: parent, attempts }, { clock: forkClock, attempts: fork }], 10_000_000_000);
    const ends = [p!.attemptStartMs[2]! + 350 * SIM_STEP_MS, f!.attemptStartMs[0]! + 200 * SIM_STEP_MS];
    expect(Math.max(...ends)).toBe(10_000_000_000);
    expect(f!.attemptStartMs[0]! - p!.attemptStartMs[0]!).toBe(forkClock.attemptStartMs[0]! - parent.attemptStartMs[0]!);
  });
});
