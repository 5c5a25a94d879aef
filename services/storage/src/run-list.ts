// A page of a project's runs, filtered and sorted in the engine (run-order.ts).
//
// NOTE: paging is stable while runs are added and logging. Two mechanisms:
// - keys of RunInfo (id, name, started_ms): a keyset cursor, the last run's
//   (key, id), over the RunInfo received up to the first page's latest
//   receipt (as_of): a run's key and filter fields are those it had then, so
//   each run of the first page's list is met exactly once; a run added later
//   falls where its key puts it.
// - keys read from points (last step, a metric's last value) move with every
//   batch a running run logs, and no store table says what they were at a
//   given time: the first page of a list longer than one page stores the
//   whole order (ids only) as a snapshot (schema-snapshots.ts), in the
//   engine; later pages read positions of it.
import { randomUUID } from 'node:crypto';
import { NO_JIT, num, type Params, type StoreAdapter } from './adapter.js';
import type { EngineScheduler } from './engine-scheduler.js';
import { orderedRunsSql, type RunAfter, type RunOrderQuery } from './run-order.js';
import { finiteOrNull } from './series-columns.js';
import { SNAPSHOT_HOURS } from './schema-snapshots.js';

export interface OrderedRun { id: string; hasKey: boolean; key: string | number }

/** A metric's figures over a run's ranks: the last value (non-finite kept), min and max over finite values (null: none). */
export interface MetricFigures { last: number; min: number | null; max: number | null }

export class RunList {
  constructor(private readonly adapter: StoreAdapter, private readonly db: string, private readonly line: EngineScheduler) {}

  /** Up to `n` runs in order after `after`, and the project's latest RunInfo receipt (the as_of of the next pages). */
  async page(q: RunOrderQuery, n: number, after?: RunAfter): Promise<{ runs: OrderedRun[]; asOf: number }> {
    const params: Params = { n };
    const sql = `${orderedRunsSql(this.db, q, params, after)} LIMIT {n:UInt64}`;
    const rows = await this.line.read(q.project, (limit) => this.adapter.query<Record<string, unknown>>(sql, params, { join_use_nulls: 0, ...limit }));
    return {
      runs: rows.map((r) => ({ id: String(r['id']), hasKey: Number(r['has_key']) === 1, key: typeof r['sort_key'] === 'string' ? r['sort_key'] : Number(r['sort_key']) })),
      asOf: Number(rows[0]?.['as_of'] ?? 0),
    };
  }

  /** Stores the whole order as a snapshot; its id. */
  async snapshot(q: RunOrderQuery): Promise<string> {
    const id = randomUUID();
    const params: Params = { snap: id, now: Date.now() };
    const sql = `INSERT INTO ${this.db}.run_list_snapshots (snapshot, project, pos, run, created_ms)
      SELECT {snap:String}, {project:String}, row_number() OVER (ORDER BY has_key DESC, sort_key ${q.desc ? 'DESC' : 'ASC'}, id ASC) - 1, id, {now:Int64}
      FROM (${orderedRunsSql(this.db, q, params)})`;
    // A scratch write: the lineage facts and kept edges stay valid.
    await this.line.read(q.project, (limit) => this.adapter.command(sql, params, { join_use_nulls: 0, ...NO_JIT, ...limit }, { scratch: true }));
    return id;
  }

  /** Up to `n` run ids of a snapshot from position `from`; none: no such snapshot (expired, or never stored). */
  async snapshotPage(project: string, snapshot: string, from: number, n: number): Promise<string[]> {
    const rows = await this.line.read(project, (limit) => this.adapter.query<{ run: string }>(
      `SELECT run FROM ${this.db}.run_list_snapshots
       WHERE snapshot = {snap:String} AND project = {project:String} AND pos >= {from:UInt64}
         AND created_ms > {oldest:Int64}
       ORDER BY pos LIMIT {n:UInt64}`,
      { snap: snapshot, project, from, n, oldest: Date.now() - SNAPSHOT_HOURS * 3_600_000 }, limit,
    ));
    return rows.map((r) => r.run);
  }

  /**
   * Runs whose stored summaries may not be their effective ones: more than
   * one attempt, a declared resume step, or a fork (lineage.ts isPlain says
   * which of them really are not).
   */
  async unplainCandidates(project: string): Promise<string[]> {
    const rows = await this.line.read(project, (limit) => this.adapter.query<{ run: string }>(
      `SELECT run FROM (
         SELECT run FROM ${this.db}.run_attempts WHERE project = {project:String} GROUP BY run HAVING uniqExact(attempt) > 1
         UNION ALL
         SELECT run FROM ${this.db}.run_info WHERE project = {project:String} AND (fork_of != '' OR resume_step IS NOT NULL) GROUP BY run
       ) GROUP BY run ORDER BY run`,
      { project }, limit,
    ));
    return rows.map((r) => r.run);
  }

  /** Each run's figures of each metric, from the stored summaries (right for runs whose every point counts). */
  async metricFigures(project: string, runs: readonly string[], metrics: readonly string[]): Promise<Map<string, Map<string, MetricFigures>>> {
    const out = new Map<string, Map<string, MetricFigures>>();
    if (runs.length === 0 || metrics.length === 0) return out;
    const rows = await this.line.read(project, (limit) => this.adapter.query<Record<string, unknown>>(
      `SELECT run, metric, argMax(l, (ls, -rank)) AS last, min(mn) AS min, max(mx) AS max FROM (
         SELECT run, metric, rank, max(last_step) AS ls, argMaxMerge(last) AS l, min(min) AS mn, max(max) AS mx
         FROM ${this.db}.summaries WHERE project = {project:String} AND run IN {runs:Array(String)} AND metric IN {metrics:Array(String)}
         GROUP BY run, metric, rank, attempt
       ) GROUP BY run, metric`,
      { project, runs: [...runs], metrics: [...metrics] }, limit,
    ));
    for (const r of rows) {
      const run = String(r['run']);
      let m = out.get(run);
      if (!m) out.set(run, (m = new Map()));
      m.set(String(r['metric']), { last: num(r['last']), min: finiteOrNull(r['min']), max: finiteOrNull(r['max']) });
    }
    return out;
  }
}
