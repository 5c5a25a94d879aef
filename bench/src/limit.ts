// limit: the physical limit on this machine. The same rows, made by the
// engine itself (INSERT … SELECT from numbers()), into the same schema with
// the same views: no parsing, no network, no Node. Every ingest figure is also
// reported as a ratio to it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { EmbeddedAdapter, Store, WRITER_TIERS, tierTable } from '@stepstream/storage';
import { describe, pointsOf, type Workload } from './workload.js';

export async function benchLimit(w: Workload): Promise<{ pointsPerSec: number; points: number; seconds: number; workload: string; noViewsPointsPerSec: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'ss-bench-limit-'));
  const store = new Store(await EmbeddedAdapter.open({ path: dir }), 'stepstream', pino({ level: 'silent' }));
  try {
    await store.migrate();
    const perStep = w.ranks * w.metrics + w.runMetrics;
    const total = pointsOf(w);
    // One INSERT per step window of every run, like the writer's flushes (~1M rows).
    const windowSteps = Math.max(1, Math.floor(1_000_000 / (perStep * w.runs)));
    const rows = (from: number, steps: number) => `
       SELECT 'bench' AS project, concat('run-', toString(r)) AS run, if(m < ${w.metrics}, concat('train/metric_', toString(m)), concat('run/metric_', toString(m - ${w.metrics}))) AS metric,
              if(m < ${w.metrics}, toInt32(k), -1) AS rank, toInt64(${from} + s) AS step, exp(-(${from} + s) / 1000) * (m + 1) AS value, toInt64(1700000000000) AS time_ms
       FROM (SELECT number % ${w.runs} AS r, intDiv(number, ${w.runs}) % ${perStep} AS sk, intDiv(number, ${w.runs * perStep}) AS s,
                    if(sk < ${w.ranks * w.metrics}, sk % ${w.metrics}, ${w.metrics} + sk - ${w.ranks * w.metrics}) AS m,
                    if(sk < ${w.ranks * w.metrics}, intDiv(sk, ${w.metrics}), 0) AS k
             FROM numbers(${steps * perStep * w.runs}))`;
    // The same inserts as a writer's flush: the points, and the writer's
    // tiers (here aggregated by the engine), whose views fill the rest.
    const insert = async (table: string, from: number, steps: number) => {
      await store.adapter.command(`INSERT INTO stepstream.${table} (project, run, metric, rank, step, value, time_ms) ${rows(from, steps)}`);
      if (table !== 'points') return;
      for (const width of [...WRITER_TIERS].reverse()) {
        await store.adapter.command(`INSERT INTO stepstream.${tierTable(width)}
          SELECT project, run, metric, rank, intDiv(step, ${width}) * ${width} AS bucket, min(step), max(step),
            min(if(isFinite(value), value, inf)), max(if(isFinite(value), value, -inf)), sum(if(isFinite(value), value, 0)),
            count(), countIf(NOT isFinite(value)), argMin(value, step), argMax(value, step)
          FROM (${rows(from, steps)}) GROUP BY project, run, metric, rank, bucket`);
      }
    };
    const timeAll = async (table: string) => {
      const t0 = performance.now();
      for (let from = 0; from < w.steps; from += windowSteps) await insert(table, from, Math.min(windowSteps, w.steps - from));
      return (performance.now() - t0) / 1000;
    };
    const seconds = await timeAll('points');
    await store.adapter.command(`CREATE TABLE stepstream.points_bare AS stepstream.points`);
    const bare = await timeAll('points_bare');
    const [row] = await store.adapter.query<{ c: number }>('SELECT count() AS c FROM stepstream.points');
    if (row?.c !== total) throw new Error(`limit bench inserted ${row?.c} of ${total}`);
    return { workload: describe(w), points: total, seconds, pointsPerSec: total / seconds, noViewsPointsPerSec: total / bare };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
