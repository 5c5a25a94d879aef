// Run and project reads. Parameters are always bound, never spliced; series
// and summaries are read over a run's lineage (lineage-reads.ts).
import type { StoreAdapter } from './adapter.js';
import type { EngineScheduler } from './engine-scheduler.js';

export interface RunRow {
  id: string;
  name: string;
  status: number;
  tags: string[];
  config_json: string;
  meta: Record<string, string>;
  started_ms: number;
  finished_ms: number;
  last_step: number | null;
  metric_count: number;
  /**
   * Stored size of each free-form field (bytes of its text; tags and meta
   * count a byte per element more). A field over the read's `maxFieldBytes`
   * comes back empty (''/[]/{}), never read out of the engine.
   */
  bytes: { name: number; config: number; tags: number; meta: number };
}

/** A project as the project list answers it: its runs, and the latest receipt of anything stored for it (0: unknown). */
export interface ProjectRow { project: string; runs: number; lastIngestMs: number }

/** The line name of reads across projects: no project id is empty, so it is a line of its own. */
export const ACROSS_PROJECTS = '';

/** What a run read returns: one run or all of a project's, each free-form field at most `maxFieldBytes`. */
export interface RunsRead {
  run?: string;
  /** Only these runs (a page of a run list). */
  runs?: readonly string[];
  maxFieldBytes: number;
}

// The latest non-empty value of a run_info field (as `<field>_value`: an
// alias named like a column would shadow it in the other expressions) and its
// size: a value over {max} is replaced by `empty` inside the engine, so it
// never reaches Node.
const latest = (field: string, size: string, nonEmpty: string, empty: string) =>
  `argMaxIf(${size}, version, ${nonEmpty}) AS ${field}_bytes,
   argMaxIf(if(${size} <= {max:UInt64}, ${field}, ${empty}), version, ${nonEmpty}) AS ${field}_value`;

/** Every read names its project: the scheduler admits and orders reads per project (engine-scheduler.ts). */
export class Reads {
  constructor(private readonly adapter: StoreAdapter, private readonly db: string, private readonly line: EngineScheduler) {}

  async projectExists(project: string): Promise<boolean> {
    const rows = await this.line.read(project, (limit) => this.adapter.query<{ n: number }>(
      `SELECT (SELECT count() FROM (SELECT 1 FROM ${this.db}.summaries WHERE project = {project:String} LIMIT 1))
            + (SELECT count() FROM (SELECT 1 FROM ${this.db}.run_info WHERE project = {project:String} LIMIT 1)) AS n`,
      { project }, limit,
    ));
    return (rows[0]?.n ?? 0) > 0;
  }

  /**
   * Every project with a run (points or a RunInfo stored), by name; `only`:
   * those of these names. From run_receipts (schema-times.ts): a row per
   * run, so the read is a few rows per run whatever the runs hold.
   */
  async projects(only?: readonly string[]): Promise<ProjectRow[]> {
    if (only?.length === 0) return [];
    const rows = await this.line.read(ACROSS_PROJECTS, (limit) => this.adapter.query<Record<string, unknown>>(
      `SELECT project, count() AS runs, max(received_ms) AS last_ms FROM (
         SELECT project, run, max(received_ms) AS received_ms FROM ${this.db}.run_receipts
         ${only === undefined ? '' : 'WHERE project IN {only:Array(String)}'} GROUP BY project, run
       ) GROUP BY project ORDER BY project`,
      only === undefined ? {} : { only: [...only] }, limit,
    ));
    return rows.map((r) => ({ project: String(r['project']), runs: Number(r['runs']), lastIngestMs: Number(r['last_ms']) }));
  }

  /**
   * Each project's stored points over every run and attempt (run_attempts, a
   * few rows per run): it changes once a write set is in every tier, so a
   * reader can tell which projects were written since it last looked.
   */
  async projectPoints(): Promise<Map<string, number>> {
    const rows = await this.line.read(ACROSS_PROJECTS, (limit) => this.adapter.query<{ project: string; points: number }>(
      `SELECT project, sum(points) AS points FROM ${this.db}.run_attempts GROUP BY project`, {}, limit,
    ));
    return new Map(rows.map((r) => [String(r.project), Number(r.points)]));
  }

  /** Each metric of the project's runs but `except`, with how many of them have points of it, by name. */
  async metricRuns(project: string, except: readonly string[]): Promise<{ metric: string; runs: number }[]> {
    const rows = await this.line.read(project, (limit) => this.adapter.query<Record<string, unknown>>(
      `SELECT metric, uniqExact(run) AS runs FROM ${this.db}.summaries
       WHERE project = {project:String} ${except.length ? 'AND run NOT IN {except:Array(String)}' : ''} GROUP BY metric ORDER BY metric`,
      { project, ...(except.length ? { except: [...except] } : {}) }, limit,
    ));
    return rows.map((r) => ({ metric: String(r['metric']), runs: Number(r['runs']) }));
  }

  /** The runs with anything stored (points or a RunInfo), by id (code unit order: the engine's for the ASCII ids ingest accepts). */
  async runs(project: string, opts: RunsRead): Promise<RunRow[]> {
    const { run, runs } = opts;
    const runFilter = (run === undefined ? '' : 'AND run = {run:String}') + (runs === undefined ? '' : ' AND run IN {runs:Array(String)}');
    if (runs?.length === 0) return [];
    const params = { project, max: opts.maxFieldBytes, ...(run === undefined ? {} : { run }), ...(runs === undefined ? {} : { runs: [...runs] }) };
    // NOTE: name, config, tags and meta are free-form and unbounded in the
    // table (rows written before ingest bounded them, or by other writers):
    // each is answered only up to maxFieldBytes, so a read of many runs never
    // holds their whole configs (issue 9: ten 60 MB configs took 5 GB).
    // NOTE: two statements side by side, joined here by run: as one statement
    // (a FULL OUTER JOIN of the two) a page of 100 runs of 10,000 took 21-26 ms,
    // the two side by side 12 (storage.md).
    const [figures = [], infos = []] = await this.line.readSideBySide(project, [
      `SELECT run, max(last_step) AS last_step, uniqExact(metric) AS metric_count
       FROM ${this.db}.summaries WHERE project = {project:String} ${runFilter} GROUP BY run`,
      `SELECT run,
         ${latest('name', 'length(name)', "name != ''", "''")},
         ${latest('config_json', 'length(config_json)', "config_json != ''", "''")},
         ${latest('tags', 'arraySum(arrayMap(t -> length(t) + 1, tags))', 'notEmpty(tags)', 'CAST([], \'Array(String)\')')},
         ${latest('meta', 'arraySum(arrayMap((k, v) -> length(k) + length(v) + 1, mapKeys(meta), mapValues(meta)))', 'notEmpty(meta)', 'CAST(map(), \'Map(String, String)\')')},
         argMaxIf(status, version, status != 0) AS status,
         argMaxIf(started_ms, version, started_ms != 0) AS started_ms, argMaxIf(finished_ms, version, finished_ms != 0) AS finished_ms
       FROM ${this.db}.run_info WHERE project = {project:String} ${runFilter} GROUP BY run`,
    ].map((sql) => (limit) => this.adapter.query<Record<string, unknown>>(sql, params, limit)));
    const info = new Map(infos.map((r) => [String(r['run']), r]));
    const figure = new Map(figures.map((r) => [String(r['run']), r]));
    const ids = [...new Set([...figure.keys(), ...info.keys()])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return ids.map((id) => {
      const i = info.get(id) ?? {}, s = figure.get(id);
      return {
        id, name: String(i['name_value'] ?? ''), status: Number(i['status'] ?? 0), tags: (i['tags_value'] as string[]) ?? [],
        config_json: String(i['config_json_value'] ?? ''), meta: (i['meta_value'] as Record<string, string>) ?? {},
        started_ms: Number(i['started_ms'] ?? 0), finished_ms: Number(i['finished_ms'] ?? 0),
        last_step: s ? Number(s['last_step']) : null,
        metric_count: Number(s?.['metric_count'] ?? 0),
        bytes: { name: Number(i['name_bytes'] ?? 0), config: Number(i['config_json_bytes'] ?? 0), tags: Number(i['tags_bytes'] ?? 0), meta: Number(i['meta_bytes'] ?? 0) },
      };
    });
  }
}
