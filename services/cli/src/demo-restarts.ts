// The restarts of `stepstream demo --restarts N`: where each attempt of a simulated run resumes, where it crashes, and with how many ranks.
import { ConfigError } from '@stepstream/runtime';

/** One attempt of a run: the process that logs steps [resumeStep, endStep) with `ranks` ranks. */
export interface AttemptPlan {
  attempt: number;
  /** The step of the checkpoint it resumed from (0 for the first attempt), declared as RunInfo.resume_step. */
  resumeStep: number;
  /** The step it crashed at, having logged the steps below it; the run's step count for the last attempt. */
  endStep: number;
  ranks: number;
}

/**
 * A job that checkpoints every `steps / (2 (restarts + 1))` steps and crashes `restarts` times, spread
 * over the run, each time part of the way past its newest checkpoint (so the crashed attempt logged a
 * tail the next one logs again). Each restart resumes from the newest checkpoint before the crash,
 * except two:
 * - the second restart finds its newest checkpoints unusable and resumes from the one before where the
 *   first restart resumed: the first restart's attempt is superseded entirely;
 * - the last restart comes back elastic, a quarter of the ranks fewer (one node that did not return).
 * `unit()` draws the tails, uniform in [0, 1).
 */
export function planRestarts(steps: number, restarts: number, ranks: number, unit: () => number): AttemptPlan[] {
  const every = Math.floor(steps / (2 * (restarts + 1)));
  if (restarts > 0 && every < 1) throw new ConfigError('--restarts', `${restarts} restarts need at least ${2 * (restarts + 1)} steps, got --steps ${steps}`);
  const plans: AttemptPlan[] = [];
  let resumeStep = 0;
  for (let attempt = 0; attempt < restarts; attempt++) {
    // NOTE: crash k lies within one checkpoint interval past the newest checkpoint at or below
    // steps (k+1) / (restarts+1). Those marks are at least two intervals apart, so the crashes
    // increase, each attempt logs something, and the last crash is below `steps`.
    const checkpoint = every * Math.floor((steps * (attempt + 1)) / (restarts + 1) / every);
    const tail = 1 + Math.floor((every - 1) * (0.3 + 0.6 * unit()));
    plans.push({ attempt, resumeStep, endStep: checkpoint + tail, ranks });
    resumeStep = attempt === 1 ? plans[1]!.resumeStep - every : checkpoint;
  }
  const elastic = restarts > 0 && ranks > 1 ? Math.max(1, Math.floor(ranks / 4)) : 0;
  plans.push({ attempt: restarts, resumeStep, endStep: steps, ranks: ranks - elastic });
  return plans;
}
