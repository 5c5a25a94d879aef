// The data the ranks bench reads: one run of 1,024 ranks × M per-rank metrics
// × S steps, made by the engine itself (INSERT … SELECT from numbers() into
// `points` and the writer's tier; the views fill the coarser tiers, the
// summaries and run_attempts), as sending 164M points would take too long.
// Rank 417 is a straggler: from 60% of the steps on, its step time and
// data-loader wait are 1.5× the others'. One NaN per metric (rank 5).
import { pino } from 'pino';
import { EmbeddedAdapter, Store, TIER_WIDTHS, WRITER_TIER, rankStepsFromPoints, tierTable } from '@stepstream/storage';

export const PROJECT = 'ranks';
export const RUN = 'job-1024';
export const RANKS = 1024;
export const METRICS = [
  'rank/step_time', 'rank/data_wait', 'rank/tokens_per_s', 'rank/mem_gb', 'rank/grad_norm', 'rank/loss', 'rank/fwd_time', 'rank/bwd_time',
] as const;
/** The metric whose straggler the bench looks for. */
export const STEP_TIME = METRICS[0];
export const STRAGGLER = { rank: 417, fromFraction: 0.6, factor: 1.5, metrics: [METRICS[0], METRICS[1]] as readonly string[] };
/** Where each metric has its one NaN. */
export const NAN_AT = { rank: 5, step: 777 };

export interface RanksShape { metrics: number; steps: number }

export const pointsOfShape = (s: RanksShape) => RANKS * s.metrics * s.steps;

/** The rows of metric m: rank = number % RANKS, step = number / RANKS. */
function rowsOf(m: number, steps: number): string {
  const metric = METRICS[m]!;
  const slow = STRAGGLER.metrics.includes(metric)
    ? `if(rank = ${STRAGGLER.rank} AND step >= ${Math.floor(steps * STRAGGLER.fromFraction)}, ${STRAGGLER.factor}, 1.0)` : '1.0';
  return `SELECT '${PROJECT}' AS project, '${RUN}' AS run, '${metric}' AS metric, toInt32(number % ${RANKS}) AS rank, toUInt32(0) AS attempt,
      toInt64(intDiv(number, ${RANKS})) AS step,
      if(rank = ${NAN_AT.rank} AND step = ${NAN_AT.step}, nan, ${m + 1} * (1 + 0.05 * sin(step / 37 + rank)) * ${slow} + (number % 997) / 1e5) AS value,
      toInt64(0) AS time_ms
    FROM numbers(${RANKS * steps})`;
}

/** Loads the run into a fresh store in `dir`, then merges every table (as a finished run's history is). */
export async function writeRanksData(dir: string, shape: RanksShape): Promise<{ seconds: number; mergeSeconds: number; points: number }> {
  const store = new Store(await EmbeddedAdapter.open({ path: dir }), 'stepstream', pino({ level: 'silent' }));
  try {
    await store.migrate();
    const a = store.adapter, w = WRITER_TIER;
    const t0 = performance.now();
    for (let m = 0; m < shape.metrics; m++) {
      const rows = rowsOf(m, shape.steps);
      await a.command(`INSERT INTO stepstream.points (project, run, metric, rank, attempt, step, value, time_ms) ${rows}`);
      await a.command(`INSERT INTO stepstream.${tierTable(w)} (project, run, metric, rank, attempt, bucket, first_step, last_step, min, max, sum, count, nonfinite, first, last)
        SELECT project, run, metric, rank, attempt, intDiv(step, ${w}) * ${w} AS bucket, min(step), max(step),
          min(if(isFinite(value), value, inf)), max(if(isFinite(value), value, -inf)), sum(if(isFinite(value), value, 0)),
          count(), countIf(NOT isFinite(value)), argMin(value, step), argMax(value, step)
        FROM (${rows}) GROUP BY project, run, metric, rank, attempt, bucket`);
      // The rollup across ranks, as the writer computes it beside the points (rank-block.ts).
      await a.command(rankStepsFromPoints('stepstream', `project = '${PROJECT}' AND run = '${RUN}' AND metric = '${METRICS[m]}'`));
    }
    const t1 = performance.now();
    // NOTE: as query-data.ts: merge now rather than measure the minutes right after a bulk load.
    for (const table of ['points', ...TIER_WIDTHS.map(tierTable), 'summaries', 'run_attempts', 'rank_steps']) {
      await a.command(`OPTIMIZE TABLE stepstream.${table} FINAL`);
    }
    const [row] = await a.query<{ c: number }>(`SELECT count() AS c FROM stepstream.points`);
    if (Number(row?.c) !== pointsOfShape(shape)) throw new Error(`ranks bench loaded ${row?.c} of ${pointsOfShape(shape)} points`);
    return { seconds: (t1 - t0) / 1000, mergeSeconds: (performance.now() - t1) / 1000, points: pointsOfShape(shape) };
  } finally {
    await store.close();
  }
}
