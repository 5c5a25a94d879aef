// `stepstream demo`: a simulated LLM training run streamed through the public
// protocol, as a trainer would: per-rank batches, gzip, retries on 503; with
// --restarts, a job that crashes and resumes from a checkpoint (demo-restarts.ts);
// with --fork, a run forked from the first; with --live, at a training pace (demo-pace.ts).
import { IngestClient, type RunInfoInput } from '@stepstream/client';
import { setting, type ConfigOf } from '@stepstream/runtime';
import { evalEvery, rankMetricNames, rng, straggler } from './demo-metrics.js';
import { FORK_GAP_MS, endingAt, runClock, timeOfStep } from './demo-clock.js';
import type { Pace } from './demo-pace.js';
import { planRestarts, type AttemptPlan } from './demo-restarts.js';
import { Progress, sendAttempt, type SimulatedRun } from './demo-send.js';

export const demoSchema = {
  url: setting({ kind: 'string', flag: 'url', env: 'STEPSTREAM_URL', default: 'http://127.0.0.1:4300', doc: 'Stepstream to send to' }),
  project: setting({ kind: 'string', flag: 'project', env: 'STEPSTREAM_PROJECT', default: 'demo', doc: 'project name' }),
  runs: setting({ kind: 'int', flag: 'runs', env: 'STEPSTREAM_DEMO_RUNS', default: 2, min: 1, max: 100_000, doc: 'runs to simulate' }),
  ranks: setting({ kind: 'int', flag: 'ranks', env: 'STEPSTREAM_DEMO_RANKS', default: 8, min: 1, max: 100_000, doc: 'ranks per run' }),
  metrics: setting({ kind: 'int', flag: 'metrics', env: 'STEPSTREAM_DEMO_METRICS', default: 20, min: 1, max: 10_000, doc: 'metrics per rank' }),
  steps: setting({ kind: 'int', flag: 'steps', env: 'STEPSTREAM_DEMO_STEPS', default: 5000, min: 1, max: 100_000_000, doc: 'training steps' }),
  stepsPerBatch: setting({ kind: 'int', flag: 'steps-per-batch', env: 'STEPSTREAM_DEMO_STEPS_PER_BATCH', default: 100, min: 1, doc: 'steps a rank buffers before sending' }),
  live: setting({ kind: 'bool', flag: 'live', env: 'STEPSTREAM_DEMO_LIVE', default: false, doc: 'send at a training pace (--steps-per-second) until the steps run out, --duration is over or Ctrl-C; the runs stay running until then' }),
  stepsPerSecond: setting({ kind: 'number', flag: 'steps-per-second', env: 'STEPSTREAM_DEMO_STEPS_PER_SECOND', default: 4, min: 0.01, max: 100_000, doc: 'with --live: steps each run logs a second' }),
  duration: setting({ kind: 'number', flag: 'duration', env: 'STEPSTREAM_DEMO_DURATION', default: 0, min: 0, doc: 'stop after this many seconds and mark the runs finished (0: when the steps run out)' }),
  fork: setting({ kind: 'bool', flag: 'fork', env: 'STEPSTREAM_DEMO_FORK', default: false, doc: 'add a run forked from the first at half its steps, on half the learning rate' }),
  restarts: setting({ kind: 'int', flag: 'restarts', env: 'STEPSTREAM_DEMO_RESTARTS', default: 0, min: 0, max: 1000, doc: 'times each run crashes and resumes from an earlier checkpoint (the 2nd restart rolls back past the 1st, the last has fewer ranks)' }),
};
export type DemoConfig = ConfigOf<typeof demoSchema>;

interface RunPlan { run: SimulatedRun; info: RunInfoInput; attempts: AttemptPlan[]; parent?: Progress; forkStep?: number }

/** The runs to send: --runs of them, each with its restarts, and with --fork one more forked from the first. */
function planRuns(cfg: DemoConfig, pace: Pace): RunPlan[] {
  const stamp = new Date().toISOString().slice(0, 19).replace(/[-:T]/g, '');
  const names = rankMetricNames(cfg.metrics);
  const base = { project: cfg.project, names, evalEvery: evalEvery(cfg.steps), pace };
  const plans: RunPlan[] = Array.from({ length: cfg.runs }, (_, i) => {
    const config = { model: 'gpt-1.3b', lr: 3e-4, warmup: 0.02, schedule: 'cosine', batch_size: 512, ranks: cfg.ranks, seed: i };
    return {
      run: { ...base, runId: `demo-${stamp}-${i}`, seed: i, shape: { steps: cfg.steps, ranks: cfg.ranks, lossDecay: 1, lrScale: 1 }, progress: new Progress() },
      info: { name: `llm-demo ${i}`, configJson: JSON.stringify(config), tags: ['demo', `seed-${i}`], status: 'running', startedMs: Date.now(), meta: { host: 'demo', command: 'stepstream demo' } },
      attempts: planRestarts(cfg.steps, cfg.restarts, cfg.ranks, rng(i * 104_729 + 17)),
    };
  });
  if (cfg.fork) {
    const parent = plans[0]!, forkStep = Math.floor(cfg.steps / 2);
    const config = { model: 'gpt-1.3b', lr: 1.5e-4, warmup: 0.02, schedule: 'cosine', batch_size: 512, ranks: cfg.ranks, seed: 0, forked_at: forkStep };
    plans.push({
      run: { ...base, runId: `demo-${stamp}-fork`, seed: 7, shape: { steps: cfg.steps, ranks: cfg.ranks, lossDecay: 0.8, lrScale: 0.5 }, progress: new Progress() },
      info: { name: `llm-demo 0 fork at ${forkStep}, half lr`, configJson: JSON.stringify(config), tags: ['demo', 'fork'], status: 'running', startedMs: Date.now(), meta: { host: 'demo', command: 'stepstream demo --fork' }, forkOf: parent.run.runId, forkStep },
      attempts: [{ attempt: 0, resumeStep: forkStep, endStep: cfg.steps, ranks: cfg.ranks }],
      parent: parent.run.progress, forkStep,
    });
  }
  if (!cfg.live) setClocks(plans);
  return plans;
}

/** Not live: each run's simulated clock (demo-clock.ts), the last run ending now; its RunInfo's start from it. A fork's parent is the first run. */
function setClocks(plans: RunPlan[]): void {
  const parent = plans[0]!, parentClock = runClock(parent.attempts, 0);
  const clocks = endingAt(plans.map((p) => ({
    attempts: p.attempts,
    clock: p.forkStep === undefined ? runClock(p.attempts, 0) : runClock(p.attempts, timeOfStep(parent.attempts, parentClock, p.forkStep) + FORK_GAP_MS),
  })), Date.now());
  plans.forEach((p, i) => {
    p.run.clock = clocks[i]!;
    p.info.startedMs = clocks[i]!.attemptStartMs[p.attempts[0]!.attempt]!;
  });
}

/** Sends every run at once, each run's attempts one after the other; `stop` ends a live demo early. */
export async function runDemo(cfg: DemoConfig, out: NodeJS.WritableStream, stop: AbortSignal = new AbortController().signal): Promise<number> {
  const url = cfg.url.replace(/\/$/, '');
  const t0 = performance.now();
  // NOTE: a controller of our own rather than AbortSignal.any with AbortSignal.timeout: on Node 20
  // that composite signal was seen never to fire.
  const ended = new AbortController();
  const signal = ended.signal;
  stop.addEventListener('abort', () => ended.abort(), { once: true });
  if (stop.aborted) ended.abort();
  const timer = cfg.duration > 0 ? setTimeout(() => ended.abort(), cfg.duration * 1000) : undefined;
  const pace: Pace = { live: cfg.live, stepsPerSecond: cfg.stepsPerSecond, stepsPerBatch: cfg.stepsPerBatch, signal };
  const plans = planRuns(cfg, pace);
  const project = encodeURIComponent(cfg.project);
  const runPath = `${url}/v1/projects/${project}/runs/${plans[0]!.run.runId}`;
  if (cfg.live) {
    out.write(`streaming ${plans.length} run(s) live, ${cfg.stepsPerSecond} steps/s${cfg.duration > 0 ? ` for ${cfg.duration} s` : ''} (Ctrl-C stops and marks them finished)\n`);
    out.write(`dashboard:  ${url}/?project=${project}\n`);
  }
  let total = 0;
  const client = new IngestClient({ url, gzip: true });
  await Promise.all(plans.map(async ({ run, info, attempts, parent, forkStep }) => {
    try {
      // A fork starts from its parent's checkpoint: once the parent has logged past the fork step.
      if (parent) await parent.reached(forkStep!);
      if (signal.aborted && parent) return;
      // NOTE: one attempt after the other, as restarts are: the next process starts once the last one died.
      for (const plan of attempts) {
        const sent = await sendAttempt(client, run, plan, info, plan === attempts.at(-1));
        total += sent; // NOTE: not `total += await ...`, which adds to the total read before the await
        if (signal.aborted) break;
      }
    } finally {
      run.progress.end();
    }
  }));
  client.close();
  clearTimeout(timer);

  const seconds = (performance.now() - t0) / 1000;
  out.write(`${signal.aborted ? 'stopped; ' : ''}sent ${total.toLocaleString('en-US')} points in ${seconds.toFixed(1)} s (${Math.round(total / seconds).toLocaleString('en-US')} points/s)\n`);
  out.write(`dashboard:  ${url}/?project=${project}\n`);
  out.write(`runs:       ${url}/v1/projects/${project}/runs\n`);
  out.write(`a series:   ${runPath}/series?metric=train/loss&rank=0&points=1000\n`);
  out.write(`across ranks: ${runPath}/ranks/series?metric=system/step_time_ms&points=200\n`);
  out.write(`stragglers:   ${runPath}/ranks/stragglers?metric=system/step_time_ms (rank ${straggler(cfg.ranks, cfg.steps).rank} from step ${straggler(cfg.ranks, cfg.steps).from})\n`);
  if (cfg.restarts > 0) {
    out.write(`lineage:    ${runPath}/lineage\n`);
    out.write(`a crash:    ${runPath}/series?metric=train/loss&rank=0&points=1000&attempt=0\n`);
  }
  const fork = plans.find((p) => p.parent);
  if (fork) out.write(`a fork:     ${url}/v1/projects/${project}/runs/${fork.run.runId}/lineage\n`);
  return 0;
}
