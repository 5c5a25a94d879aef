// What a lineage test sends: batches of a run's attempts as a training job's
// rank processes would send them, posted in the order the test chooses, and
// recorded as the store must keep them (a retry once) for the reference.
import { expect } from 'vitest';
import { encodeRequest, type TestSeries, type pb } from './requests.js';
import { LineageReference, type ForkOf, type RunLineageInfo, type StoredPoint } from './lineage-reference.js';
import { postBatch } from './stepstream.js';

export interface LineageBatch {
  run: string;
  attempt: number;
  clientId: string;
  sequence: number;
  series: TestSeries[];
  info?: pb.v1.IRunInfo;
}

export class LineageLog {
  private readonly points: StoredPoint[] = [];
  private readonly info = new Map<string, RunLineageInfo>();
  private readonly batchesStored = new Set<string>();

  constructor(readonly project: string) {}

  /** What the store keeps of a batch: nothing more when (run, attempt, client_id, sequence) was stored before. */
  record(b: LineageBatch): void {
    const key = JSON.stringify([b.run, b.attempt, b.clientId, b.sequence]);
    if (b.clientId !== '' && this.batchesStored.has(key)) return;
    this.batchesStored.add(key);
    let info = this.info.get(b.run);
    if (!info) this.info.set(b.run, (info = { resumeSteps: new Map() }));
    if (b.info?.resumeStep !== undefined && b.info.resumeStep !== null) info.resumeSteps.set(b.attempt, Number(b.info.resumeStep));
    if (b.info?.forkOf && !info.forkOf) info.forkOf = { run: b.info.forkOf, step: Number(b.info.forkStep ?? 0) };
    for (const s of b.series) {
      s.steps.forEach((step, i) => this.points.push({
        run: b.run, attempt: b.attempt, metric: s.metric, rank: s.rank ?? -1, step, value: s.values[i]!, ...(s.timeMs ? { timeMs: s.timeMs[i]! } : {}),
      }));
    }
  }

  /** Posts the batches one after another, in the order given, each accepted before the next is sent. */
  async post(url: string, batches: readonly LineageBatch[]): Promise<void> {
    for (const b of batches) {
      const body = encodeRequest({ project: this.project, runId: b.run, attempt: b.attempt, clientId: b.clientId, sequence: b.sequence, series: b.series, ...(b.info ? { run: b.info } : {}) });
      const res = await postBatch(url, body);
      expect(res.status, `batch ${b.run}/${b.attempt}/${b.clientId}#${b.sequence}: ${JSON.stringify(res.body)}`).toBe(202);
      this.record(b);
    }
  }

  reference(): LineageReference {
    return new LineageReference(this.points, this.info);
  }
}

/** One attempt of a job: its ranks log `loss` every `stride` steps over [from, to); rank 0 also logs `lr` (rank -1). */
export interface AttemptPlan {
  run: string;
  attempt: number;
  from: number;
  to: number;
  stride: number;
  ranks: number[];
  /** Sent in rank 0's first batch. */
  resumeStep?: number;
  fork?: ForkOf;
  /** Steps each batch covers (default 100,000). */
  batchSteps?: number;
  /** Metrics logged besides loss and lr: rank -1, every `stride` steps, over [from, to). */
  extra?: { metric: string; from: number; to: number; stride: number }[];
}

/** A value for every point, different for every run, attempt, metric, rank and step; some NaN and ±Infinity. */
export function valueAt(run: string, attempt: number, metric: string, rank: number, step: number): number {
  let h = Math.imul(step ^ 0x5bd1e995, 0x27d4eb2d) ^ Math.imul(rank + 7, 0x165667b1) ^ Math.imul(attempt + 3, 0x61c88647);
  for (let i = 0; i < run.length + metric.length; i++) h = Math.imul(h ^ (run + metric).charCodeAt(i), 0x01000193);
  const bucket = (h >>> 0) % 1009;
  if (bucket === 0) return NaN;
  if (bucket === 1) return Infinity;
  if (bucket === 2) return -Infinity;
  return Math.sin(step / 7919 + rank) + 4 / (1 + step / 250_000) + attempt * 0.125 + ((h >>> 8) % 1000) / 1e4;
}

/** Steps of [from, to) every `stride`; the first step of each 100,000 logged twice (same value): two points. */
function stepsOf(from: number, to: number, stride: number): number[] {
  const out: number[] = [];
  for (let s = from; s < to; s += stride) {
    out.push(s);
    if (Math.floor(s / 100_000) !== Math.floor((s - stride) / 100_000)) out.push(s);
  }
  return out;
}

/** The attempt's batches in step order, each rank its own client whose sequence starts at 1 (as a restarted process's does). */
export function attemptBatches(plan: AttemptPlan): LineageBatch[] {
  const width = plan.batchSteps ?? 100_000;
  const out: LineageBatch[] = [];
  const series = (metric: string, rank: number, steps: number[]): TestSeries =>
    ({ metric, rank, steps, values: steps.map((s) => valueAt(plan.run, plan.attempt, metric, rank, s)) });
  for (const rank of plan.ranks) {
    let sequence = 0;
    for (let lo = plan.from; lo < plan.to; lo += width) {
      const hi = Math.min(plan.to, lo + width);
      const batch: LineageBatch = { run: plan.run, attempt: plan.attempt, clientId: `${plan.run}:rank${rank}`, sequence: ++sequence, series: [series('loss', rank, stepsOf(lo, hi, plan.stride))] };
      if (rank === 0) {
        const lr = stepsOf(lo, hi, plan.stride * 4);
        batch.series.push(series('lr', -1, lr));
        for (const e of plan.extra ?? []) {
          const steps = stepsOf(Math.max(lo, e.from), Math.min(hi, e.to), e.stride);
          if (steps.length) batch.series.push(series(e.metric, -1, steps));
        }
        if (sequence === 1 && (plan.resumeStep !== undefined || plan.fork)) {
          batch.info = { ...(plan.resumeStep !== undefined ? { resumeStep: plan.resumeStep } : {}), ...(plan.fork ? { forkOf: plan.fork.run, forkStep: plan.fork.step } : {}) };
        }
      }
      out.push(batch);
    }
  }
  return out;
}
