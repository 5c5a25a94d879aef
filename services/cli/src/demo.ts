// `stepstream demo`: a simulated LLM training run streamed through the public
// protocol, as a trainer would: per-rank batches, gzip, retries on 503; with
// --restarts, a job that crashes and resumes from a checkpoint (demo-restarts.ts).
import { IngestClient, newClientId, type IngestBatch, type RunInfoInput, type SeriesInput } from '@stepstream/client';
import { setting, type ConfigOf } from '@stepstream/runtime';
import { planRestarts, type AttemptPlan } from './demo-restarts.js';

export const demoSchema = {
  url: setting({ kind: 'string', flag: 'url', env: 'STEPSTREAM_URL', default: 'http://127.0.0.1:4300', doc: 'Stepstream to send to' }),
  project: setting({ kind: 'string', flag: 'project', env: 'STEPSTREAM_PROJECT', default: 'demo', doc: 'project name' }),
  runs: setting({ kind: 'int', flag: 'runs', env: 'STEPSTREAM_DEMO_RUNS', default: 2, min: 1, max: 1000, doc: 'runs to simulate' }),
  ranks: setting({ kind: 'int', flag: 'ranks', env: 'STEPSTREAM_DEMO_RANKS', default: 8, min: 1, max: 100_000, doc: 'ranks per run' }),
  metrics: setting({ kind: 'int', flag: 'metrics', env: 'STEPSTREAM_DEMO_METRICS', default: 20, min: 1, max: 10_000, doc: 'metrics per rank' }),
  steps: setting({ kind: 'int', flag: 'steps', env: 'STEPSTREAM_DEMO_STEPS', default: 5000, min: 1, max: 100_000_000, doc: 'training steps' }),
  stepsPerBatch: setting({ kind: 'int', flag: 'steps-per-batch', env: 'STEPSTREAM_DEMO_STEPS_PER_BATCH', default: 100, min: 1, doc: 'steps a rank buffers before sending' }),
  restarts: setting({ kind: 'int', flag: 'restarts', env: 'STEPSTREAM_DEMO_RESTARTS', default: 0, min: 0, max: 1000, doc: 'times each run crashes and resumes from an earlier checkpoint (the 2nd restart rolls back past the 1st, the last has fewer ranks)' }),
};
export type DemoConfig = ConfigOf<typeof demoSchema>;

const RANK_METRICS = ['loss', 'grad_norm', 'tokens_per_s', 'gpu/mem_gb', 'gpu/util', 'step_time_ms'];

/** Deterministic noise, so two demo runs look alike. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 4294967296; };
}

function learningRate(step: number, steps: number): number {
  const warmup = Math.max(1, Math.floor(steps * 0.02)), peak = 3e-4;
  if (step < warmup) return (peak * (step + 1)) / warmup;
  return 0.1 * peak + 0.45 * peak * (1 + Math.cos((Math.PI * (step - warmup)) / Math.max(1, steps - warmup)));
}

function metricValue(name: string, step: number, steps: number, rank: number, r: () => number): number {
  const noise = (r() - 0.5) * 2;
  switch (name) {
    case 'loss': return step === Math.floor(steps * 0.61) && rank === 3 ? NaN : 2 + 8 * Math.exp(-step / (steps / 6)) + 0.15 * noise;
    case 'grad_norm': return (Math.abs(step - Math.floor(steps * 0.4)) < 3 ? 40 : 1.2 * Math.exp(-step / steps)) + 0.1 * Math.abs(noise);
    case 'tokens_per_s': return 152_000 + 4_000 * noise - (rank === 5 ? 20_000 : 0);
    case 'gpu/mem_gb': return 61.5 + 0.3 * noise;
    case 'gpu/util': return 0.93 + 0.04 * noise;
    case 'step_time_ms': return 410 + 25 * noise + (rank === 5 ? 60 : 0);
    default: return Math.sin(step / 200 + rank) + 0.05 * noise;
  }
}

/** One rank's sender: the public client, with its own client id and increasing sequence, for one attempt. */
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

interface SimulatedRun { project: string; runId: string; runIndex: number; names: string[]; steps: number; stepsPerBatch: number }

/**
 * One attempt, as the restarted processes would send it: rank 0 declares the run (and, after a
 * restart, the checkpoint's step it resumed from), then every rank logs its steps; the last attempt
 * finishes the run, a crashed one just stops. Returns the points accepted.
 */
async function sendAttempt(client: IngestClient, run: SimulatedRun, plan: AttemptPlan, info: RunInfoInput, last: boolean): Promise<number> {
  const { project, runId, runIndex, names } = run;
  const senders = Array.from({ length: plan.ranks }, (_, rank) => new Sender(client, rank, plan.attempt));
  await senders[0]!.send({ project, runId, series: [], run: plan.attempt === 0 ? info : { ...info, resumeStep: plan.resumeStep } });
  for (let start = plan.resumeStep; start < plan.endStep; start += run.stepsPerBatch) {
    const end = Math.min(plan.endStep, start + run.stepsPerBatch);
    const steps = Array.from({ length: end - start }, (_, i) => start + i);
    await Promise.all(senders.map((sender, rank) => {
      // A resumed job logs the same steps again with values a little different from the crashed one's.
      const r = rng(runIndex * 100_003 + rank * 7919 + start + plan.attempt * 15_485_863);
      const series: SeriesInput[] = names.map((metric) => ({ metric, rank, steps, values: steps.map((s) => metricValue(metric, s, run.steps, rank, r)) }));
      if (rank === 0) series.push({ metric: 'lr', rank: -1, steps, values: steps.map((s) => learningRate(s, run.steps)) });
      return sender.send({ project, runId, series });
    }));
  }
  if (last) await senders[0]!.send({ project, runId, series: [], run: { status: 'finished', finishedMs: Date.now() } });
  return senders.reduce((a, s) => a + s.sent, 0);
}

export async function runDemo(cfg: DemoConfig, out: NodeJS.WritableStream): Promise<number> {
  const url = cfg.url.replace(/\/$/, '');
  const t0 = performance.now();
  const stamp = new Date().toISOString().slice(0, 19).replace(/[-:T]/g, '');
  const extra = Array.from({ length: Math.max(0, cfg.metrics - RANK_METRICS.length) }, (_, i) => `custom/metric_${i}`);
  const names = [...RANK_METRICS.slice(0, cfg.metrics), ...extra];
  const runIds = Array.from({ length: cfg.runs }, (_, i) => `demo-${stamp}-${i}`);
  const plans = runIds.map((_, runIndex) => planRestarts(cfg.steps, cfg.restarts, cfg.ranks, rng(runIndex * 104_729 + 17)));
  let total = 0;
  const client = new IngestClient({ url, gzip: true });

  await Promise.all(runIds.map(async (runId, runIndex) => {
    const config = { model: 'gpt-1.3b', lr: 3e-4, warmup: 0.02, schedule: 'cosine', batch_size: 512, ranks: cfg.ranks, seed: runIndex };
    const info: RunInfoInput = { name: `llm-demo ${runIndex}`, configJson: JSON.stringify(config), tags: ['demo', `seed-${runIndex}`], status: 'running', startedMs: Date.now(), meta: { host: 'demo', command: 'stepstream demo' } };
    const run: SimulatedRun = { project: cfg.project, runId, runIndex, names, steps: cfg.steps, stepsPerBatch: cfg.stepsPerBatch };
    const attempts = plans[runIndex]!;
    // NOTE: one attempt after the other, as restarts are: the next process starts once the last one died.
    for (const plan of attempts) total += await sendAttempt(client, run, plan, info, plan === attempts.at(-1));
  }));

  client.close();
  const seconds = (performance.now() - t0) / 1000;
  const runPath = `${url}/v1/projects/${encodeURIComponent(cfg.project)}/runs/${runIds[0]}`;
  out.write(`sent ${total.toLocaleString('en-US')} points in ${seconds.toFixed(1)} s (${Math.round(total / seconds).toLocaleString('en-US')} points/s)\n`);
  out.write(`dashboard:  ${url}/?project=${encodeURIComponent(cfg.project)}\n`);
  out.write(`runs:       ${url}/v1/projects/${encodeURIComponent(cfg.project)}/runs\n`);
  out.write(`a series:   ${runPath}/series?metric=loss&rank=0&points=1000\n`);
  out.write(`across ranks: ${runPath}/ranks/series?metric=step_time_ms&points=200\n`);
  out.write(`stragglers:   ${runPath}/ranks/stragglers?metric=step_time_ms\n`);
  if (cfg.restarts > 0) {
    out.write(`lineage:    ${runPath}/lineage\n`);
    out.write(`a crash:    ${runPath}/series?metric=loss&rank=0&points=1000&attempt=0\n`);
  }
  return 0;
}
