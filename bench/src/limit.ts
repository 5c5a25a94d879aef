// limit: the physical limit on this machine. The same rows, made by the
// engine itself, into the same schema with the same views: no parsing, no
// network, no Node. Two figures:
// - generator (the limit as issue 4 defines it; every ingest figure is a
//   ratio to it): INSERT … SELECT from numbers(), the rows made while timed
//   and the writer's tier aggregated by the engine.
// - staged: each window's rows made beforehand into Native files on tmpfs,
//   then timed: INSERT … SELECT from them, points and the writer's tier
//   concurrently, as the writer does. Only the store's own work is timed: the
//   ceiling of the store itself, well above the generator (making the rows
//   costs the engine more than storing them).
// NOTE: neither stores the writer's rollup across ranks (rank_steps): the
// limit is the points and the tiers alone.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { EmbeddedAdapter, Store, WRITER_TIER, tierTable } from '@stepstream/storage';
import { describe, pointsOf, type Workload } from './workload.js';

/** The writer's tier columns, its rows' times among them (schema-times.ts); the rows' times as the engine aggregates them. */
const TIER_COLS = 'project, run, metric, rank, bucket, first_step, last_step, min, max, sum, count, nonfinite, first, last, first_time, last_time, received_ms';
const TIER_TIMES = 'argMin(time_ms, step) AS first_time, argMax(time_ms, step) AS last_time, max(time_ms) AS received_ms';

export async function benchLimit(w: Workload): Promise<{ pointsPerSec: number; points: number; seconds: number; workload: string; stagedPointsPerSec: number; noViewsPointsPerSec: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'ss-bench-limit-'));
  const staging = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'ss-bench-limit-'));
  const store = new Store(await EmbeddedAdapter.open({ path: dir }), 'stepstream', pino({ level: 'silent' }));
  try {
    await store.migrate();
    const perStep = w.ranks * w.metrics + w.runMetrics;
    const total = pointsOf(w);
    // One INSERT per step window of every run, like the writer's flushes (~2M rows: --flush-points).
    const windowSteps = Math.max(1, Math.floor(2_000_000 / (perStep * w.runs)));
    const rows = (from: number, steps: number) => `
       SELECT 'bench' AS project, concat('run-', toString(r)) AS run, if(m < ${w.metrics}, concat('train/metric_', toString(m)), concat('run/metric_', toString(m - ${w.metrics}))) AS metric,
              if(m < ${w.metrics}, toInt32(k), -1) AS rank, toInt64(${from} + s) AS step, exp(-(${from} + s) / 1000) * (m + 1) AS value, toInt64(1700000000000) AS time_ms
       FROM (SELECT number % ${w.runs} AS r, intDiv(number, ${w.runs}) % ${perStep} AS sk, intDiv(number, ${w.runs * perStep}) AS s,
                    if(sk < ${w.ranks * w.metrics}, sk % ${w.metrics}, ${w.metrics} + sk - ${w.ranks * w.metrics}) AS m,
                    if(sk < ${w.ranks * w.metrics}, intDiv(sk, ${w.metrics}), 0) AS k
             FROM numbers(${steps * perStep * w.runs}))`;
    // The same inserts as a writer's flush: the points, and the writer's
    // tier (here aggregated by the engine), whose views fill the rest.
    const insert = async (table: string, from: number, steps: number) => {
      await store.adapter.command(`INSERT INTO stepstream.${table} (project, run, metric, rank, step, value, time_ms) ${rows(from, steps)}`);
      if (table !== 'points') return;
      {
        const width = WRITER_TIER;
        await store.adapter.command(`INSERT INTO stepstream.${tierTable(width)} (${TIER_COLS})
          SELECT project, run, metric, rank, intDiv(step, ${width}) * ${width} AS bucket, min(step), max(step),
            min(if(isFinite(value), value, inf)), max(if(isFinite(value), value, -inf)), sum(if(isFinite(value), value, 0)),
            count(), countIf(NOT isFinite(value)), argMin(value, step), argMax(value, step), ${TIER_TIMES}
          FROM (${rows(from, steps)}) GROUP BY project, run, metric, rank, bucket`);
      }
    };
    const windows: [number, number][] = [];
    for (let from = 0; from < w.steps; from += windowSteps) windows.push([from, Math.min(windowSteps, w.steps - from)]);
    const timeAll = async (table: string) => {
      const t0 = performance.now();
      for (const [from, steps] of windows) await insert(table, from, steps);
      return (performance.now() - t0) / 1000;
    };
    const seconds = await timeAll('points');

    // The same rows again, staged, into a fresh schema.
    const cols = 'project, run, metric, rank, step, value, time_ms';
    const tierCols = TIER_COLS;
    const width = WRITER_TIER;
    const file = (kind: string, i: number) => join(staging, `${kind}-${i}.native`);
    for (const [i, [from, steps]] of windows.entries()) {
      await store.adapter.command(`INSERT INTO FUNCTION file('${file('points', i)}', 'Native', '${'project String, run String, metric String, rank Int32, step Int64, value Float64, time_ms Int64'}')
        SELECT ${cols} FROM (${rows(from, steps)}) ORDER BY project, run, metric, rank, step`);
      await store.adapter.command(`INSERT INTO FUNCTION file('${file('tier', i)}', 'Native')
        SELECT project, run, metric, rank, intDiv(step, ${width}) * ${width} AS bucket, min(step) AS first_step, max(step) AS last_step,
          min(if(isFinite(value), value, inf)) AS min, max(if(isFinite(value), value, -inf)) AS max, sum(if(isFinite(value), value, 0)) AS sum,
          count() AS count, countIf(NOT isFinite(value)) AS nonfinite, argMin(value, step) AS first, argMax(value, step) AS last, ${TIER_TIMES}
        FROM (${rows(from, steps)}) GROUP BY project, run, metric, rank, bucket ORDER BY project, run, metric, rank, bucket`);
    }
    const fresh = new Store(store.adapter, 'stepstream_staged', pino({ level: 'silent' }));
    await fresh.migrate();
    const t0 = performance.now();
    for (const i of windows.keys()) {
      await Promise.all([
        store.adapter.command(`INSERT INTO stepstream_staged.points (${cols}) SELECT ${cols} FROM file('${file('points', i)}', 'Native')`),
        store.adapter.command(`INSERT INTO stepstream_staged.${tierTable(width)} (${tierCols}) SELECT ${tierCols} FROM file('${file('tier', i)}', 'Native')`),
      ]);
    }
    const staged = (performance.now() - t0) / 1000;

    await store.adapter.command(`CREATE TABLE stepstream.points_bare AS stepstream.points`);
    const bare = await timeAll('points_bare');
    for (const db of ['stepstream', 'stepstream_staged']) {
      const [row] = await store.adapter.query<{ c: number }>(`SELECT count() AS c FROM ${db}.points`);
      if (row?.c !== total) throw new Error(`limit bench inserted ${row?.c} of ${total} into ${db}.points`);
    }
    return { workload: describe(w), points: total, seconds, pointsPerSec: total / seconds, stagedPointsPerSec: total / staged, noViewsPointsPerSec: total / bare };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(staging, { recursive: true, force: true });
  }
}
