// The data the series-batch bench reads: a project of 20 runs × 4 run-level
// metrics, each S steps long (quick 200,000, full 1,000,000), so a 1000-point
// view of a whole series is answered from the tiers. Every fifth run was
// restarted: attempt 0 logged up to 70% of the steps, attempt 1 resumed at
// 60% (its RunInfo declares the resume step), so those views merge two
// segments. Made by the engine itself (INSERT … SELECT from numbers() into
// `points` and the writer's tier, with the times of each row's first and
// last point; the views fill the coarser tiers, summaries and run_attempts),
// as ranks-data.ts does, then merged.
import { pino } from 'pino';
import { EmbeddedAdapter, Store, TIER_WIDTHS, WRITER_TIER, tierTable, type RunInfoRecord } from '@stepstream/storage';

export const PROJECT = 'batch-bench';
export const RUN_COUNT = 20;
export const METRICS = ['train/loss', 'train/lr', 'eval/acc', 'system/gpu_util'] as const;
export const runId = (i: number) => `run-${String(i).padStart(2, '0')}`;
/** Runs restarted once: every fifth. */
export const isRestarted = (i: number) => i % 5 === 0;
/** Where a restarted run's attempt 1 resumes, and where its attempt 0 stopped, as fractions of the steps. */
export const RESUME_AT = 0.6, CRASHED_AT = 0.7;
/** The wall-clock time of step 0; each step is 100 ms later. */
const T0 = 1_700_000_000_000;

export interface BatchShape { steps: number }

/** Rows of some runs' every metric, steps [from, from + count), of one attempt: number → (run, metric, step). */
function rowsOf(runs: readonly string[], attempt: number, from: number, count: number): string {
  const perRun = METRICS.length * count;
  return `SELECT '${PROJECT}' AS project, [${runs.map((r) => `'${r}'`).join(', ')}][intDiv(number, ${perRun}) + 1] AS run,
      [${METRICS.map((m) => `'${m}'`).join(', ')}][intDiv(number % ${perRun}, ${count}) + 1] AS metric,
      toInt32(-1) AS rank, toUInt32(${attempt}) AS attempt, toInt64(${from} + number % ${count}) AS step,
      (1 + intDiv(number % ${perRun}, ${count})) * (1 + 0.3 * sin(step / 5000 + intDiv(number, ${perRun}))) + ${attempt} * 0.01 + (number % 997) / 1e5 AS value,
      toInt64(${T0} + step * 100 + ${attempt} * 3600000) AS time_ms
    FROM numbers(${runs.length * perRun})`;
}

/** Loads the project into a fresh store in `dir`, then merges every table; the points stored. */
export async function writeBatchData(dir: string, shape: BatchShape): Promise<{ seconds: number; points: number }> {
  const store = new Store(await EmbeddedAdapter.open({ path: dir }), 'stepstream', pino({ level: 'silent' }));
  try {
    await store.migrate();
    const t0 = performance.now();
    const all = Array.from({ length: RUN_COUNT }, (_, i) => i);
    const plain = all.filter((i) => !isRestarted(i)).map(runId), restarted = all.filter(isRestarted).map(runId);
    const info = (run: string, attempt: number, resumeStep: number | null): RunInfoRecord => ({
      project: PROJECT, run, attempt, version: attempt + 1, receivedMs: T0, name: run, configJson: '{}', tags: [], status: 2,
      startedMs: T0, finishedMs: 0, meta: {}, resumeStep, forkOf: '', forkStep: 0,
    });
    const resume = Math.floor(shape.steps * RESUME_AT), crashed = Math.floor(shape.steps * CRASHED_AT);
    await store.write({ token: 'batch-bench-runs', series: [], batches: [], runs: [
      ...plain.map((r) => info(r, 0, null)), ...restarted.flatMap((r) => [info(r, 0, null), info(r, 1, resume)]),
    ] });
    const pieces = [rowsOf(plain, 0, 0, shape.steps), rowsOf(restarted, 0, 0, crashed), rowsOf(restarted, 1, resume, shape.steps - resume)];
    const a = store.adapter, w = WRITER_TIER;
    let points = 0;
    for (const rows of pieces) {
      await a.command(`INSERT INTO stepstream.points (project, run, metric, rank, attempt, step, value, time_ms) ${rows}`);
      await a.command(`INSERT INTO stepstream.${tierTable(w)} (project, run, metric, rank, attempt, bucket, first_step, last_step, min, max, sum, count, nonfinite, first, last, first_time, last_time, received_ms)
        SELECT project, run, metric, rank, attempt, intDiv(step, ${w}) * ${w} AS bucket, min(step), max(step),
          min(if(isFinite(value), value, inf)), max(if(isFinite(value), value, -inf)), sum(if(isFinite(value), value, 0)),
          count(), countIf(NOT isFinite(value)), argMin(value, step), argMax(value, step), argMin(time_ms, step), argMax(time_ms, step), ${T0}
        FROM (${rows}) GROUP BY project, run, metric, rank, attempt, bucket`);
    }
    // NOTE: as ranks-data.ts: merge now rather than measure the minutes right after a bulk load.
    for (const table of ['points', ...TIER_WIDTHS.map(tierTable), 'summaries', 'run_attempts']) {
      await a.command(`OPTIMIZE TABLE stepstream.${table} FINAL`);
    }
    const [row] = await a.query<{ c: number }>(`SELECT count() AS c FROM stepstream.points`);
    points = Number(row?.c);
    const want = METRICS.length * (plain.length * shape.steps + restarted.length * (crashed + shape.steps - resume));
    if (points !== want) throw new Error(`series-batch bench loaded ${points} of ${want} points`);
    return { seconds: (performance.now() - t0) / 1000, points };
  } finally {
    await store.close();
  }
}
