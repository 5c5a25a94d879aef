// Every read Stepstream makes. Parameters are always bound, never spliced.
import { num, type Params, type StoreAdapter } from './adapter.js';
import type { EngineScheduler } from './engine-scheduler.js';
import { isWriterTier, tierTable } from './schema.js';
import { bucketRows, finiteOrNull, type BucketRow, type SeriesColumns } from './series-columns.js';

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

/** What a run read returns: one run or all of a project's, each free-form field at most `maxFieldBytes`. */
export interface RunsRead {
  run?: string;
  maxFieldBytes: number;
}

// The latest non-empty value of a run_info field (as `<field>_value`: an
// alias named like a column would shadow it in the other expressions) and its
// size: a value over {max} is replaced by `empty` inside the engine, so it
// never reaches Node.
const latest = (field: string, size: string, nonEmpty: string, empty: string) =>
  `argMaxIf(${size}, version, ${nonEmpty}) AS ${field}_bytes,
   argMaxIf(if(${size} <= {max:UInt64}, ${field}, ${empty}), version, ${nonEmpty}) AS ${field}_value`;

/** What the summaries say of some points; min/max are null when they hold no finite value. */
export interface SummaryRow {
  first_step: number;
  last_step: number;
  count: number;
  nonfinite: number;
  last: number;
  min: number | null;
  max: number | null;
}

export interface MetricSummaryRow extends SummaryRow { name: string; ranks: number }
export interface RankSummaryRow extends SummaryRow { rank: number }

function summaryRow(r: Record<string, unknown>): SummaryRow {
  return {
    first_step: Number(r['first_step']), last_step: Number(r['last_step']), count: Number(r['count']), nonfinite: Number(r['nonfinite']),
    last: num(r['last']), min: finiteOrNull(r['min']), max: finiteOrNull(r['max']),
  };
}

export interface SeriesRead {
  project: string;
  run: string;
  metric: string;
  rank: number;
  /** Bucket width of the answer (a power of two). */
  bucket: number;
  /** Source: 0 = raw points, else the rollup tier width to merge from. */
  source: number;
  /** Aligned, whole-bucket step range [lo, hi); either may be left open. */
  lo?: number;
  hi?: number;
}

// Per (metric, rank) merge of the summaries' partial aggregates.
const SUMMARY_BY_RANK = (db: string, metricFilter: string) => `
  SELECT metric, rank, min(first_step) AS fs, max(last_step) AS ls, sum(count) AS c, sum(nonfinite) AS nf,
    min(min) AS mn, max(max) AS mx, argMaxMerge(last) AS lv
  FROM ${db}.summaries WHERE project = {project:String} AND run = {run:String} ${metricFilter}
  GROUP BY metric, rank`;

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

  async runs(project: string, opts: RunsRead): Promise<RunRow[]> {
    const { run } = opts;
    const runFilter = run === undefined ? '' : 'AND run = {run:String}';
    // NOTE: name, config, tags and meta are free-form and unbounded in the
    // table (rows written before ingest bounded them, or by other writers):
    // each is answered only up to maxFieldBytes, so a read of many runs never
    // holds their whole configs (issue 9: ten 60 MB configs took 5 GB).
    const rows = await this.line.read(project, (limit) => this.adapter.query<Record<string, unknown>>(
      `WITH s AS (
         SELECT run, max(last_step) AS last_step, uniqExact(metric) AS metric_count
         FROM ${this.db}.summaries WHERE project = {project:String} ${runFilter} GROUP BY run
       ), i AS (
         SELECT run,
           ${latest('name', 'length(name)', "name != ''", "''")},
           ${latest('config_json', 'length(config_json)', "config_json != ''", "''")},
           ${latest('tags', 'arraySum(arrayMap(t -> length(t) + 1, tags))', 'notEmpty(tags)', 'CAST([], \'Array(String)\')')},
           ${latest('meta', 'arraySum(arrayMap((k, v) -> length(k) + length(v) + 1, mapKeys(meta), mapValues(meta)))', 'notEmpty(meta)', 'CAST(map(), \'Map(String, String)\')')},
           argMaxIf(status, version, status != 0) AS status,
           argMaxIf(started_ms, version, started_ms != 0) AS started_ms, argMaxIf(finished_ms, version, finished_ms != 0) AS finished_ms
         FROM ${this.db}.run_info WHERE project = {project:String} ${runFilter} GROUP BY run
       )
       SELECT if(s.run != '', s.run, i.run) AS id, i.name_value AS name, i.status AS status, i.tags_value AS tags, i.config_json_value AS config_json,
         i.meta_value AS meta, i.started_ms AS started_ms, i.finished_ms AS finished_ms,
         i.name_bytes AS name_bytes, i.config_json_bytes AS config_bytes, i.tags_bytes AS tags_bytes, i.meta_bytes AS meta_bytes,
         if(s.run != '', s.last_step, NULL) AS last_step, s.metric_count AS metric_count
       FROM s FULL OUTER JOIN i ON s.run = i.run
       ORDER BY id`,
      { project, max: opts.maxFieldBytes, ...(run === undefined ? {} : { run }) },
      { join_use_nulls: 0, ...limit },
    ));
    return rows.map((r) => ({
      id: String(r['id']), name: String(r['name'] ?? ''), status: Number(r['status'] ?? 0), tags: (r['tags'] as string[]) ?? [],
      config_json: String(r['config_json'] ?? ''), meta: (r['meta'] as Record<string, string>) ?? {},
      started_ms: Number(r['started_ms'] ?? 0), finished_ms: Number(r['finished_ms'] ?? 0),
      last_step: r['last_step'] === null || r['last_step'] === undefined ? null : Number(r['last_step']),
      metric_count: Number(r['metric_count'] ?? 0),
      bytes: { name: Number(r['name_bytes'] ?? 0), config: Number(r['config_bytes'] ?? 0), tags: Number(r['tags_bytes'] ?? 0), meta: Number(r['meta_bytes'] ?? 0) },
    }));
  }

  async metrics(project: string, run: string): Promise<MetricSummaryRow[]> {
    // `last`: the value at the highest step, from the lowest rank holding it
    // (rank -1, the run as a whole, sorts first).
    const rows = await this.line.read(project, (limit) => this.adapter.query<Record<string, unknown>>(
      `SELECT metric AS name, count() AS ranks, min(fs) AS first_step, max(ls) AS last_step, sum(c) AS count, sum(nf) AS nonfinite,
         argMin(lv, (-ls, rank)) AS last, min(mn) AS min, max(mx) AS max
       FROM (${SUMMARY_BY_RANK(this.db, '')}) GROUP BY metric ORDER BY metric`,
      { project, run }, limit,
    ));
    return rows.map((r) => ({ name: String(r['name']), ranks: Number(r['ranks']), ...summaryRow(r) }));
  }

  async ranks(project: string, run: string, metric: string): Promise<RankSummaryRow[]> {
    const rows = await this.line.read(project, (limit) => this.adapter.query<Record<string, unknown>>(
      `SELECT rank, fs AS first_step, ls AS last_step, c AS count, nf AS nonfinite, lv AS last, mn AS min, mx AS max
       FROM (${SUMMARY_BY_RANK(this.db, 'AND metric = {metric:String}')}) ORDER BY rank`,
      { project, run, metric }, limit,
    ));
    return rows.map((r) => ({ rank: Number(r['rank']), ...summaryRow(r) }));
  }

  /** First and last step of one series; null when it has no points. */
  async seriesRange(project: string, run: string, metric: string, rank: number): Promise<{ first: number; last: number } | null> {
    const rows = await this.line.read(project, (limit) => this.adapter.query<{ first: number; last: number; n: number }>(
      `SELECT min(first_step) AS first, max(last_step) AS last, count() AS n FROM ${this.db}.summaries
       WHERE project = {project:String} AND run = {run:String} AND metric = {metric:String} AND rank = {rank:Int32}`,
      { project, run, metric, rank }, limit,
    ));
    const r = rows[0];
    return r && r.n > 0 ? { first: Number(r.first), last: Number(r.last) } : null;
  }

  /** Buckets of one series as rows (for tests and tools; the series route reads columns). */
  async series(q: SeriesRead): Promise<BucketRow[]> {
    return bucketRows(await this.seriesColumns(q));
  }

  /** Buckets of one series, merged from raw points or from a rollup tier, column by column. */
  async seriesColumns(q: SeriesRead): Promise<SeriesColumns> {
    const params: Params = { project: q.project, run: q.run, metric: q.metric, rank: q.rank, b: BigInt(q.bucket) };
    // The tiers are keyed by the series' hash (schema.ts, migration 4): one key condition.
    let where = q.source === 0
      ? 'project = {project:String} AND run = {run:String} AND metric = {metric:String} AND rank = {rank:Int32}'
      : 'sid = sipHash128({project:String}, {run:String}, {metric:String}, {rank:Int32})';
    const key = q.source === 0 ? 'step' : 'bucket';
    // NOTE: steps reach 2^53 - 1, so an aligned end (and the bucket) may be
    // 2^53, which the embedded engine's binder refuses as a number: bigints
    // bind exactly on both adapters.
    if (q.lo !== undefined) { where += ` AND ${key} >= {lo:Int64}`; params['lo'] = BigInt(q.lo); }
    if (q.hi !== undefined) { where += ` AND ${key} < {hi:Int64}`; params['hi'] = BigInt(q.hi); }
    const sql = q.source === 0
      ? `SELECT intDiv(step, {b:Int64}) * {b:Int64} AS x, min(step) AS fs, max(step) AS ls,
           min(if(isFinite(value), value, inf)) AS mn, max(if(isFinite(value), value, -inf)) AS mx,
           sum(if(isFinite(value), value, 0)) AS s, count() AS c, countIf(NOT isFinite(value)) AS nf,
           argMin(value, step) AS f, argMax(value, step) AS l
         FROM ${this.db}.points WHERE ${where}
         GROUP BY x ORDER BY x`
      : `SELECT intDiv(bucket, {b:Int64}) * {b:Int64} AS x, min(first_step) AS fs, max(last_step) AS ls,
           min(min) AS mn, max(max) AS mx, sum(sum) AS s,
           sum(count) AS c, sum(nonfinite) AS nf, ${isWriterTier(q.source) ? 'argMin(first, first_step) AS f, argMax(last, last_step) AS l' : 'argMinMerge(first) AS f, argMaxMerge(last) AS l'}
         FROM ${this.db}.${tierTable(q.source)} WHERE ${where}
         GROUP BY x ORDER BY x`;
    // NOTE: a tier read touches a few thousand rows; moving its key filter to
    // PREWHERE costs more than it saves (~0.5 ms of ~4). Over raw points it pays.
    const c = await this.line.read(q.project, (limit) => this.adapter.queryColumns(sql, params, q.source === 0 ? limit : { optimize_move_to_prewhere: 0, ...limit }));
    const none = new Float64Array(0);
    return {
      x: c['x'] ?? none, firstStep: c['fs'] ?? none, lastStep: c['ls'] ?? none, min: c['mn'] ?? none, max: c['mx'] ?? none,
      sum: c['s'] ?? none, count: c['c'] ?? none, nonfinite: c['nf'] ?? none, first: c['f'] ?? none, last: c['l'] ?? none,
    };
  }
}
