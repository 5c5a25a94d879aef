// What the demo's simulated training job logs: metric names grouped the way trainers group them
// (train/, eval/, system/), and deterministic values with the things a dashboard must not hide:
// a warm-up and cosine learning rate, a decaying noisy loss, a grad-norm spike, one NaN, and one
// rank that becomes a straggler part of the way through.

/** The per-rank metrics, in the order `--metrics N` takes them; past these, generated ones. */
const RANK_METRICS = [
  'train/loss', 'train/grad_norm', 'train/tokens_per_s', 'system/step_time_ms',
  'system/gpu_mem_gb', 'system/gpu_util', 'system/dataloader_wait_ms', 'train/loss_scale',
];

/** Run-level (rank -1) metrics: the learning rate every step, evaluations every `evalEvery` steps. */
export const RUN_METRICS = ['train/lr'] as const;
export const EVAL_METRICS = ['eval/loss', 'eval/accuracy'] as const;

/** `count` per-rank metric names: the named ones first, then layer grad norms and GPU temperatures. */
export function rankMetricNames(count: number): string[] {
  const names = RANK_METRICS.slice(0, count);
  for (let i = 0; names.length < count; i++) {
    names.push(i % 2 === 0 ? `train/layer_${String(i / 2).padStart(2, '0')}/grad_norm` : `system/gpu_temp_c_${(i - 1) / 2}`);
  }
  return names;
}

/** Steps between two evaluations (about 100 over the run). */
export function evalEvery(steps: number): number {
  return Math.max(1, Math.floor(steps / 100));
}

/** The rank that turns slow, and the step from which it is (the question "which ranks are slow, since when?"). */
export function straggler(ranks: number, steps: number): { rank: number; from: number } {
  return { rank: Math.floor((ranks * 5) / 8), from: Math.floor(steps * 0.55) };
}

/** Deterministic noise, so two demo runs look alike. */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 4294967296; };
}

/** The curves of one simulated run; a fork runs on a lower learning rate and its loss falls faster. */
export interface RunShape { steps: number; ranks: number; lossDecay: number; lrScale: number }

export function learningRate(step: number, steps: number): number {
  const warmup = Math.max(1, Math.floor(steps * 0.02)), peak = 3e-4;
  if (step < warmup) return (peak * (step + 1)) / warmup;
  return 0.1 * peak + 0.45 * peak * (1 + Math.cos((Math.PI * (step - warmup)) / Math.max(1, steps - warmup)));
}

function lossAt(step: number, shape: RunShape): number {
  return 2 + 8 * Math.exp(-step / ((shape.steps / 6) * shape.lossDecay));
}

export function rankValue(name: string, step: number, rank: number, shape: RunShape, r: () => number): number {
  const noise = (r() - 0.5) * 2;
  const { steps } = shape;
  const slow = rank === straggler(shape.ranks, steps).rank && step >= straggler(shape.ranks, steps).from;
  switch (name) {
    case 'train/loss': return step === Math.floor(steps * 0.61) && rank === 3 ? NaN : lossAt(step, shape) + 0.15 * noise;
    case 'train/grad_norm': return (Math.abs(step - Math.floor(steps * 0.4)) < 3 ? 40 : 1.2 * Math.exp(-step / steps)) + 0.1 * Math.abs(noise);
    case 'train/tokens_per_s': return 152_000 + 4_000 * noise - (slow ? 20_000 : 0);
    case 'system/step_time_ms': return 410 + 25 * noise + (slow ? 60 : 0);
    case 'system/gpu_mem_gb': return 61.5 + 0.3 * noise + (step % 1000) / 2000;
    case 'system/gpu_util': return 0.93 + 0.04 * noise - (slow ? 0.2 : 0);
    case 'system/dataloader_wait_ms': return 12 + 4 * Math.abs(noise) + (slow ? 45 : 0);
    case 'train/loss_scale': return 2 ** (16 - Math.floor(step / Math.max(1, steps / 4)));
    default: return Math.sin(step / 200 + rank) + 0.05 * noise;
  }
}

export function evalValue(name: string, step: number, shape: RunShape, r: () => number): number {
  const noise = (r() - 0.5) * 2;
  if (name === 'eval/loss') return lossAt(step, shape) + 0.1 + 0.03 * noise;
  return Math.min(1, 0.25 + 0.6 * (1 - Math.exp(-step / (shape.steps / 4))) + 0.01 * noise);
}
