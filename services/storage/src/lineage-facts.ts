// The facts the lineage rule is computed from, as stored: each attempt's
// extent and point count (run_attempts) and a run's declarations (run_info:
// resume steps, its fork). Every read of a run starts with them, so they are
// kept, per set of runs, while no write of this process has been done since
// they were read (StoreAdapter.writeEpoch): only where this process is the
// store's only writer, and then exactly.
import type { StoreAdapter } from './adapter.js';
import type { EngineScheduler } from './engine-scheduler.js';

/** One attempt of a run as stored: its points (any metric, any rank) and its declared resume step. */
export interface AttemptFacts {
  attempt: number;
  firstStep: number | null;
  lastStep: number | null;
  points: number;
  resumeStep: number | null;
}

export interface RunFacts {
  run: string;
  /** In attempt order. */
  attempts: AttemptFacts[];
  /** The first fork declaration received, or null. */
  forkOf: { run: string; step: number } | null;
}

/** Sets of runs whose facts are kept at most; the set read longest ago goes first. */
export const KEPT_FACTS = 4096;

export class LineageFacts {
  private readonly kept = new Map<string, { epoch: number; facts: Map<string, RunFacts> }>();
  /** Reads under way, by epoch and set of runs. */
  private readonly reading = new Map<string, Promise<Map<string, RunFacts>>>();

  constructor(private readonly adapter: StoreAdapter, private readonly db: string, private readonly line: EngineScheduler, private readonly max = KEPT_FACTS) {}

  /** The facts of some runs of a project (null: of every run of it, never kept); a run with none is absent. */
  async read(project: string, runs: readonly string[] | null): Promise<Map<string, RunFacts>> {
    // NOTE: the count is taken before the read: a write done while it runs
    // makes what it read stale, whether or not it saw the write.
    const epoch = this.adapter.writeEpoch();
    if (epoch === undefined || runs === null) return this.readNow(project, runs);
    const key = JSON.stringify([project, [...runs].sort()]);
    const hit = this.kept.get(key);
    if (hit && hit.epoch === epoch) {
      this.kept.delete(key);
      this.kept.set(key, hit);
      return new Map(hit.facts);
    }
    // NOTE: a read of the same facts under way is shared (a page asks for a
    // run's detail and its lineage at once: both start with these facts).
    const readKey = `${epoch}\u0000${key}`;
    let reading = this.reading.get(readKey);
    if (!reading) {
      reading = this.readNow(project, runs).finally(() => this.reading.delete(readKey));
      this.reading.set(readKey, reading);
    }
    const facts = await reading;
    this.kept.delete(key);
    this.kept.set(key, { epoch, facts });
    if (this.kept.size > this.max) this.kept.delete(this.kept.keys().next().value!);
    return new Map(facts);
  }

  private async readNow(project: string, runs: readonly string[] | null): Promise<Map<string, RunFacts>> {
    const which = runs === null ? '' : 'AND run IN {runs:Array(String)}';
    // NOTE: one statement: the attempts' extents (a view over the writer's
    // tier) and the run's declarations (a few RunInfo rows per run).
    const rows = await this.line.read(project, (limit) => this.adapter.query<Record<string, unknown>>(
      `SELECT run, attempt, toNullable(min(first_step)) AS fs, toNullable(max(last_step)) AS ls, sum(points) AS pts,
         CAST(NULL AS Nullable(Int64)) AS rs, '' AS fork, toInt64(0) AS fork_step, toUInt64(0) AS fork_version, 0 AS declared
       FROM ${this.db}.run_attempts WHERE project = {project:String} ${which} GROUP BY run, attempt
       UNION ALL
       SELECT run, attempt, NULL, NULL, toUInt64(0),
         argMaxIf(resume_step, version, resume_step IS NOT NULL), argMinIf(fork_of, version, fork_of != ''),
         argMinIf(fork_step, version, fork_of != ''), minIf(version, fork_of != ''), countIf(resume_step IS NOT NULL) > 0
       FROM ${this.db}.run_info WHERE project = {project:String} ${which} GROUP BY run, attempt`,
      { project, ...(runs === null ? {} : { runs: [...runs] }) }, limit,
    ));
    const out = new Map<string, RunFacts & { forkVersion: number; byAttempt: Map<number, AttemptFacts> }>();
    for (const r of rows) {
      const run = String(r['run']);
      let f = out.get(run);
      if (!f) out.set(run, (f = { run, attempts: [], forkOf: null, forkVersion: Infinity, byAttempt: new Map() }));
      const attempt = Number(r['attempt']);
      const fork = String(r['fork'] ?? '');
      if (fork !== '' && Number(r['fork_version']) < f.forkVersion) {
        f.forkVersion = Number(r['fork_version']);
        f.forkOf = { run: fork, step: Number(r['fork_step']) };
      }
      const points = Number(r['pts'] ?? 0), declared = Boolean(Number(r['declared'] ?? 0));
      if (points === 0 && !declared) continue;
      let a = f.byAttempt.get(attempt);
      if (!a) f.byAttempt.set(attempt, (a = { attempt, firstStep: null, lastStep: null, points: 0, resumeStep: null }));
      if (points > 0) { a.firstStep = Number(r['fs']); a.lastStep = Number(r['ls']); a.points = points; }
      if (declared) a.resumeStep = Number(r['rs']);
    }
    return new Map([...out].map(([run, { forkVersion: _v, byAttempt, ...f }]) =>
      [run, { ...f, attempts: [...byAttempt.values()].sort((a, b) => a.attempt - b.attempt) }]));
  }

}
