// One attempt of a simulated run, sent as the trainer's processes would: one sender per rank, each
// with its own client id and increasing sequence, over the public protocol.
import { newClientId, type IngestBatch, type IngestClient, type RunInfoInput, type SeriesInput } from '@stepstream/client';
import { EVAL_METRICS, evalValue, learningRate, rankValue, rng, type RunShape } from './demo-metrics.js';
import { stepRanges, type Pace } from './demo-pace.js';
import { attemptEndMs, stepTimeMs, type RunClock } from './demo-clock.js';
import type { AttemptPlan } from './demo-restarts.js';

/** One rank's sender for one attempt. */
class Sender {
  private readonly clientId: string;
  private sequence = 0;
  sent = 0;
  constructor(private readonly client: IngestClient, rank: number, private readonly attempt: number) {
    this.clientId = newClientId(rank);
  }

  async send(batch: Omit<IngestBatch, 'clientId' | 'sequence' | 'attempt'>): Promise<void> {
    const r = await this.client.send({ ...batch, clientId: this.clientId, sequence: ++this.sequence, attempt: this.attempt });
    this.sent += r.acceptedPoints;
  }
}

/** The highest step a run has sent so far, for a fork that starts once its parent got past the fork step. */
export class Progress {
  private step = -1;
  private ended = false;
  private waiters: { step: number; wake: () => void }[] = [];

  advance(step: number): void {
    this.step = Math.max(this.step, step);
    this.wakeDue();
  }
  /** The run sends nothing more (done or stopped): every waiter wakes. */
  end(): void {
    this.ended = true;
    this.wakeDue();
  }
  reached(step: number): Promise<void> {
    if (this.ended || this.step >= step) return Promise.resolve();
    return new Promise((wake) => this.waiters.push({ step, wake }));
  }
  private wakeDue(): void {
    const due = this.waiters.filter((w) => this.ended || this.step >= w.step);
    this.waiters = this.waiters.filter((w) => !due.includes(w));
    for (const w of due) w.wake();
  }
}

export interface SimulatedRun {
  project: string;
  runId: string;
  /** Seeds the noise. */
  seed: number;
  /** Per-rank metric names. */
  names: string[];
  shape: RunShape;
  evalEvery: number;
  pace: Pace;
  progress: Progress;
  /** The simulated job's clock, whose times every point carries (demo-clock.ts); none when live (the server stamps receipt). */
  clock?: RunClock;
}

function rankSeries(run: SimulatedRun, plan: AttemptPlan, rank: number, steps: number[]): SeriesInput[] {
  // A resumed job logs the same steps again with values a little different from the crashed one's.
  const r = rng(run.seed * 100_003 + rank * 7919 + (steps[0] ?? 0) + plan.attempt * 15_485_863);
  const { clock } = run;
  const timed = (at: number[]) => (clock ? { timeMs: at.map((s) => stepTimeMs(clock, plan, s)) } : {});
  const times = timed(steps);
  const series: SeriesInput[] = run.names.map((metric) => ({ metric, rank, steps, values: steps.map((s) => rankValue(metric, s, rank, run.shape, r)), ...times }));
  if (rank !== 0) return series;
  series.push({ metric: 'train/lr', rank: -1, steps, values: steps.map((s) => learningRate(s, run.shape.steps) * run.shape.lrScale), ...times });
  const evalSteps = steps.filter((s) => (s + 1) % run.evalEvery === 0);
  if (evalSteps.length > 0) {
    const evalTimes = timed(evalSteps);
    for (const metric of EVAL_METRICS) series.push({ metric, rank: -1, steps: evalSteps, values: evalSteps.map((s) => evalValue(metric, s, run.shape, r)), ...evalTimes });
  }
  return series;
}

/**
 * One attempt: rank 0 declares the run (and, after a restart, the checkpoint's step it resumed
 * from), then every rank logs its steps. The last attempt, or one stopped by the signal, marks the
 * run finished; a crashed one just stops. Returns the points accepted.
 */
export async function sendAttempt(client: IngestClient, run: SimulatedRun, plan: AttemptPlan, info: RunInfoInput, last: boolean): Promise<number> {
  const { project, runId } = run;
  const senders = Array.from({ length: plan.ranks }, (_, rank) => new Sender(client, rank, plan.attempt));
  await senders[0]!.send({ project, runId, series: [], run: plan.attempt === 0 ? info : { ...info, resumeStep: plan.resumeStep } });
  for await (const [start, end] of stepRanges(plan.resumeStep, plan.endStep, run.pace)) {
    const steps = Array.from({ length: end - start }, (_, i) => start + i);
    await Promise.all(senders.map((sender, rank) => sender.send({ project, runId, series: rankSeries(run, plan, rank, steps) })));
    run.progress.advance(end - 1);
  }
  const finishedMs = run.clock ? attemptEndMs(run.clock.attemptStartMs[plan.attempt]!, plan) : Date.now();
  if (last || run.pace.signal.aborted) await senders[0]!.send({ project, runId, series: [], run: { status: 'finished', finishedMs } });
  return senders.reduce((a, s) => a + s.sent, 0);
}
