// The workload every benchmark shares: an LLM-style run, prebuilt before any
// timing so the generator never measures itself.
//   R runs × K ranks × M per-rank metrics, plus run-level metrics (rank -1)
//   sent by rank 0; steps streamed in order; each rank sends one request per
//   `stepsPerBatch` steps, as a trainer's client would.
import { encodeIngestRequest, type SeriesInput } from '@stepstream/client';

export interface Workload {
  runs: number;
  ranks: number;
  metrics: number;
  runMetrics: number;
  steps: number;
  stepsPerBatch: number;
}

export const FULL: Workload = { runs: 4, ranks: 64, metrics: 32, runMetrics: 16, steps: 2400, stepsPerBatch: 100 };
export const QUICK: Workload = { runs: 4, ranks: 64, metrics: 32, runMetrics: 16, steps: 1200, stepsPerBatch: 100 };

export interface Batch {
  body: Buffer;
  points: number;
  run: string;
}

export function pointsOf(w: Workload): number {
  return w.runs * w.steps * (w.ranks * w.metrics + w.runMetrics);
}

export function describe(w: Workload): string {
  return `${w.runs} runs × ${w.ranks} ranks × ${w.metrics} metrics + ${w.runMetrics} run metrics, ${w.steps} steps, ${w.stepsPerBatch} steps/request`;
}

/** One request of the workload, before encoding: one rank's step window. */
export interface WorkloadRequest {
  run: string;
  /** The sending rank (its run-level metrics have rank -1). */
  rank: number;
  /** 1, 2, … per rank: the window's index. */
  sequence: number;
  steps: Float64Array;
  /** `m` numbers the metric; `runLevel` ones are sent by rank 0 only. */
  series: { m: number; runLevel: boolean; values: Float64Array }[];
  points: number;
}

/**
 * The workload in send order: step windows in order, every rank of every run
 * within a window. Every benchmark encodes these same requests (and values).
 */
export function* workloadRequests(w: Workload, tag = `${Date.now()}`): Generator<WorkloadRequest> {
  let seed = 12345;
  const noise = () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x7fffffff - 0.5; };
  for (let start = 0; start < w.steps; start += w.stepsPerBatch) {
    const n = Math.min(w.stepsPerBatch, w.steps - start);
    const steps = new Float64Array(n);
    for (let i = 0; i < n; i++) steps[i] = start + i;
    for (let r = 0; r < w.runs; r++) {
      const run = `run-${tag}-${r}`;
      for (let rank = 0; rank < w.ranks; rank++) {
        const metrics = rank === 0 ? w.metrics + w.runMetrics : w.metrics;
        const series: WorkloadRequest['series'] = [];
        for (let m = 0; m < metrics; m++) {
          const values = new Float64Array(n);
          for (let i = 0; i < n; i++) values[i] = Math.exp(-(start + i) / 1000) * (m + 1) + noise() * 0.01;
          series.push(m < w.metrics ? { m, runLevel: false, values } : { m: m - w.metrics, runLevel: true, values });
        }
        yield { run, rank, sequence: start / w.stepsPerBatch + 1, steps, series, points: metrics * n };
      }
    }
  }
}

/** The workload as Stepstream requests. */
export function buildBatches(w: Workload, project = 'bench', tag = `${Date.now()}`): Batch[] {
  const out: Batch[] = [];
  for (const q of workloadRequests(w, tag)) {
    const series: SeriesInput[] = q.series.map((s) => ({
      metric: s.runLevel ? `run/metric_${s.m}` : `train/metric_${s.m}`, rank: s.runLevel ? -1 : q.rank, steps: q.steps, values: s.values,
    }));
    out.push({ body: encodeIngestRequest({ project, runId: q.run, clientId: `${q.run}-rank-${q.rank}`, sequence: q.sequence, series }), points: q.points, run: q.run });
  }
  return out;
}
