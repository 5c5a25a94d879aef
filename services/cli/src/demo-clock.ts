// The wall clock of the simulated job when the demo sends as fast as the server takes it (not
// --live): each point carries the time the job would have logged it, so charts by wall time or
// time since start look like a real run's, not a few seconds of sending. A step takes SIM_STEP_MS;
// a restart starts RESTART_GAP_MS after its attempt crashed; a fork starts FORK_GAP_MS after its
// parent's effective history got past the fork step; the clock is set so that the last run ends
// now. --live sends no times: the server stamps each point with its receipt, the training pace.
import type { AttemptPlan } from './demo-restarts.js';

export const SIM_STEP_MS = 400;
export const RESTART_GAP_MS = 10 * 60_000;
export const FORK_GAP_MS = 30 * 60_000;

/** When each attempt of a run started, ms (its step `resumeStep` logged then, each next step SIM_STEP_MS later). */
export interface RunClock { attemptStartMs: number[] }

export const attemptEndMs = (startMs: number, plan: AttemptPlan) => startMs + (plan.endStep - plan.resumeStep) * SIM_STEP_MS;

/** When a run's last attempt ended (its last step's time plus a step). */
export const runEndMs = (clock: RunClock, attempts: readonly AttemptPlan[]) => attemptEndMs(clock.attemptStartMs[attempts.at(-1)!.attempt]!, attempts.at(-1)!);

/** The time step `step` of an attempt was logged. */
export const stepTimeMs = (clock: RunClock, plan: AttemptPlan, step: number) => clock.attemptStartMs[plan.attempt]! + (step - plan.resumeStep) * SIM_STEP_MS;

/** One run's clock from its first attempt's start: the attempts one after the other, a restart gap between. */
export function runClock(attempts: readonly AttemptPlan[], startMs: number): RunClock {
  const attemptStartMs: number[] = [];
  let t = startMs;
  for (const plan of attempts) {
    attemptStartMs[plan.attempt] = t;
    t = attemptEndMs(t, plan) + RESTART_GAP_MS;
  }
  return { attemptStartMs };
}

/**
 * When the run's effective history logged `step`: by the attempt that owns it (the last one that
 * resumed at or below it), or the run's end if none logged it. A fork starts from there, so its
 * parent part comes before its own steps in time too.
 */
export function timeOfStep(attempts: readonly AttemptPlan[], clock: RunClock, step: number): number {
  const plan = [...attempts].reverse().find((p) => p.resumeStep <= step && step < p.endStep);
  return plan ? stepTimeMs(clock, plan, step) : runEndMs(clock, attempts);
}

/** Every clock moved by the same amount, so that the latest end is `nowMs`. */
export function endingAt(clocks: readonly { clock: RunClock; attempts: readonly AttemptPlan[] }[], nowMs: number): RunClock[] {
  const end = Math.max(...clocks.map(({ clock, attempts }) => runEndMs(clock, attempts)));
  const shift = nowMs - end;
  return clocks.map(({ clock }) => ({ attemptStartMs: clock.attemptStartMs.map((t) => t + shift) }));
}
