// Reads over a run's lineage: the stored facts the lineage rule is computed
// from (each attempt's extent and declarations, a run's fork), and series and
// summaries over the segments the query side resolved from them.
import { num, type Params, type Settings, type StoreAdapter } from './adapter.js';
import type { EngineScheduler } from './engine-scheduler.js';
import { bucketRows, finiteOrNull, type BucketRow, type SeriesColumns } from './series-columns.js';
import { emptyColumns, manySeriesStatements, mergeLevels, type ColumnsRead } from './series-many.js';
import { SeriesEdges, edgeRanges, edgesApart, mergeEdges, type EdgeRead, type EdgeRow } from './series-edges.js';
import { attemptSegment, edgeWindows, levelsUpTo, type ReadSegment, type SegmentFilter } from './segments.js';
import { timesFromPoints, type RowRead } from './series-times.js';
import { LineageFacts, type RunFacts } from './lineage-facts.js';
import { SeriesIds } from './series-ids.js';
import { TIER_WIDTHS, tierTable } from './tiers.js';
import { summaryStatement, type MetricSummaryRow, type SeriesSummaryRow, type SummaryOptions } from './summary-sql.js';


/** One series' buckets: its key, the bucket width and source tier, and the aligned range. */
export interface SeriesRead {
  project: string;
  run: string;
  metric: string;
  rank: number;
  /** Bucket width of the answer (a power of two). */
  bucket: number;
  /** Source: 0 = raw points, else the coarsest rollup tier to merge from. */
  source: number;
  /** Aligned, whole-bucket step range [lo, hi); either may be left open. */
  lo?: number;
  hi?: number;
}

export class LineageReads {
  /** Cut segments' raw points beside their cuts, kept for the series reads (series-edges.ts). */
  private readonly edges: SeriesEdges;

  private readonly factsOf: LineageFacts;

  /** The tiers' series ids, kept as literals. */
  private readonly ids = new SeriesIds();

  constructor(private readonly adapter: StoreAdapter, private readonly db: string, private readonly line: EngineScheduler) {
    this.edges = new SeriesEdges(db);
    this.factsOf = new LineageFacts(adapter, db, line);
  }

  /** The lineage facts of some runs of a project (null: of every run of it); a run with none is absent (lineage-facts.ts). */
  facts(project: string, runs: readonly string[] | null): Promise<Map<string, RunFacts>> {
    return this.factsOf.read(project, runs);
  }

  /**
   * Buckets of one series over segments, merged from raw points or tiers up
   * to `source`; `times`: with the times of each bucket's first and last
   * point (series-times.ts).
   */
  async seriesColumns(q: { project: string; metric: string; rank: number; bucket: number; source: number; lo?: number; hi?: number; times?: boolean },
    segs: readonly ReadSegment[]): Promise<SeriesColumns> {
    const [c] = await this.seriesColumnsMany(q.project, [{ ...q, segs }], q.times ?? false);
    return c!;
  }

  /**
   * The buckets of many series of a project, in the order of `reads`, in a
   * statement or a few (series-many.ts): each series' answer is what
   * seriesColumns answers for it alone, to the bit.
   */
  async seriesColumnsMany(project: string, reads: readonly ColumnsRead[], times: boolean): Promise<SeriesColumns[]> {
    const out = reads.map(() => emptyColumns(times));
    // A tier read's raw points beside its cuts, where its segments say their
    // attempts' point counts, are read apart and kept (series-edges.ts).
    const edgeReads: EdgeRead[] = [], owner: number[] = [];
    const apart = reads.map((r, i) => {
      if (!edgesApart(r.source)) return false;
      const cut = r.segs.filter((s) => edgeRanges(s, r.source).length > 0);
      if (cut.length === 0 || cut.some((s) => s.points === undefined)) return false;
      for (const seg of cut) { edgeReads.push({ run: seg.run, metric: r.metric, rank: r.rank, seg: seg as ReadSegment & { points: number }, top: r.source }); owner.push(i); }
      return true;
    });
    const statement = (sql: string, params?: Params) => (limit: Settings) => this.adapter.queryColumns(sql, params, { optimize_move_to_prewhere: 0, ...limit });
    // The tier reads name their series by id (series-ids.ts).
    await this.ids.load(project, reads.filter((r) => r.source > 0).flatMap((r) => r.segs.map((s) => ({ run: s.run, metric: r.metric, rank: r.rank }))),
      (sql) => this.line.read(project, (limit) => this.adapter.query(sql, undefined, limit)));
    // NOTE: the series' statements queue first, so a split read's halves start together.
    const many = this.line.readSideBySide(project, manySeriesStatements(this.db, project, reads.map((r, i) => (apart[i] ? { ...r, topOnly: true } : r)), times,
      (k) => this.ids.sid(project, k)).map(({ sql, params }) => statement(sql, params)))
      .then((parts) => { for (const c of parts) for (const [i, columns] of mergeLevels(c, times)) out[i] = columns; });
    const [edges] = await Promise.all([this.edges.of(project, edgeReads, (sql) => this.line.read(project, statement(sql))), many]);
    const rowsOf = new Map<number, EdgeRow[]>();
    edges.forEach((rows, j) => { rowsOf.set(owner[j]!, [...(rowsOf.get(owner[j]!) ?? []), ...rows]); });
    for (const [i, rows] of rowsOf) {
      const r = reads[i]!;
      out[i] = mergeEdges(out[i]!, rows, r.bucket, { ...(r.lo === undefined ? {} : { lo: r.lo }), ...(r.hi === undefined ? {} : { hi: r.hi }) });
    }
    if (times) {
      const rows: RowRead = (sql, p) => this.line.read(project, (limit) => this.adapter.query(sql, p, limit));
      await Promise.all(reads.map((r, i) => timesFromPoints(rows, this.db, { project, metric: r.metric, rank: r.rank }, r.segs,
        out[i] as SeriesColumns & { timeFirst: Float64Array; timeLast: Float64Array })));
    }
    return out;
  }

  /** Buckets of one series as rows (tests and tools; the series route reads columns); default: every point of its attempt 0. */
  async series(q: SeriesRead, segs: readonly ReadSegment[] = [attemptSegment(q.run)]): Promise<BucketRow[]> {
    return bucketRows(await this.seriesColumns(q, segs));
  }

  /**
   * Each series' summary over segments (every series of the segments' runs,
   * or those the filter names). An attempt whose every point counts is read
   * from the summaries; one cut by a later attempt (or a fork step) from the
   * tiers, with raw points only at the cut.
   */
  async summaries(project: string, segs: readonly ReadSegment[], filter: SegmentFilter = {}, opts: SummaryOptions = {}): Promise<SeriesSummaryRow[]> {
    const at = opts.splitAtRank;
    // Split: rows by rank, the lower ranks' first.
    const parts = at === undefined || filter.metric === undefined || filter.rank !== undefined ? [filter]
      : [{ ...filter, ranks: [-(2 ** 31), at] as const }, { ...filter, ranks: [at, 2 ** 31] as const }];
    return (await this.summaryRows(project, segs, parts, opts, false)).map(({ row }) => row);
  }

  /**
   * The summaries of several segments in one read, each segment's series
   * apart (by run and attempt, which name a segment): one pass over the
   * points at every cut, where a read per segment would read the run's
   * granules once per segment.
   */
  async summariesBySegment(project: string, segs: readonly ReadSegment[], filter: SegmentFilter = {}): Promise<Map<ReadSegment, SeriesSummaryRow[]>> {
    const out = new Map(segs.map((s) => [s, [] as SeriesSummaryRow[]]));
    const bySegment = new Map(segs.map((s) => [`${s.run}\u0000${s.attempt}`, s]));
    for (const { row, run, attempt } of await this.summaryRows(project, segs, [filter], { withSums: true, longRead: true }, true)) {
      const seg = bySegment.get(`${run}\u0000${attempt}`);
      if (seg) out.get(seg)!.push(row);
    }
    return out;
  }

  /**
   * Each metric's summary over the effective summaries of its series, merged
   * in the engine (`ranks`: its series with points; `last`: the value at the
   * highest step, the lowest rank's on a tie). NOTE: a run detail of 8,192
   * series reads 8 rows: its 8,192 as JSON were ~40 of a ~60 ms read.
   */
  async metricSummaries(project: string, segs: readonly ReadSegment[]): Promise<MetricSummaryRow[]> {
    if (segs.length === 0) return [];
    const { sql, params, settings } = summaryStatement(this.db, project, segs, {}, {}, false);
    const rows = await this.line.read(project, (limit) => this.adapter.query<Record<string, unknown>>(
      `SELECT metric, count() AS ranks, min(first_step) AS fs, max(last_step) AS ls, sum(count) AS c, sum(nonfinite) AS nf,
         min(mn) AS mn, max(mx) AS mx, argMax(last, (last_step, -rank)) AS l
       FROM (${sql}) WHERE count > 0 GROUP BY metric ORDER BY metric`, params, settings(limit)));
    return rows.map((r) => ({
      name: String(r['metric']), ranks: Number(r['ranks']), first_step: Number(r['fs']), last_step: Number(r['ls']),
      count: Number(r['c']), nonfinite: Number(r['nf']), last: num(r['l']), min: finiteOrNull(r['mn']), max: finiteOrNull(r['mx']),
    }));
  }

  /** The summary rows of each filter's series (read side by side), in the filters' order. */
  private async summaryRows(project: string, segs: readonly ReadSegment[], filters: readonly SegmentFilter[], opts: SummaryOptions & { longRead?: boolean }, bySegment: boolean) {
    if (segs.length === 0) return [];
    const rows = (await this.line.readSideBySide(project, filters.map((filter) => {
      const { sql, params, settings, key } = summaryStatement(this.db, project, segs, filter, opts, bySegment);
      return (limit: Settings) => this.adapter.query<Record<string, unknown>>(`${sql} ORDER BY ${key}`, params, settings(limit));
    }))).flat();
    return rows.map((r) => ({
      run: String(r['run_'] ?? ''), attempt: Number(r['attempt'] ?? 0),
      row: {
        metric: String(r['metric']), rank: Number(r['rank']), first_step: Number(r['first_step']), last_step: Number(r['last_step']),
        count: Number(r['count']), nonfinite: Number(r['nonfinite']), last: num(r['last']), min: finiteOrNull(r['mn']), max: finiteOrNull(r['mx']),
        sum: opts.withSums ? num(r['s']) : null,
      } satisfies SeriesSummaryRow,
    }));
  }

  /** The metrics each of some attempts has points of (every point of it: the summaries), by `run NUL attempt`. */
  async attemptMetrics(project: string, attempts: readonly { run: string; attempt: number }[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    if (attempts.length === 0) return out;
    const rows = await this.line.read(project, (limit) => this.adapter.query<{ run: string; attempt: number; metric: string }>(
      `SELECT run, attempt, metric FROM ${this.db}.summaries
       WHERE project = {project:String} AND run IN {runs:Array(String)} AND has(arrayZip({runs:Array(String)}, {attempts:Array(UInt32)}), (toString(run), attempt))
       GROUP BY run, attempt, metric`,
      { project, runs: attempts.map((a) => a.run), attempts: attempts.map((a) => a.attempt) }, limit,
    ));
    for (const r of rows) {
      const key = `${r.run}\u0000${Number(r.attempt)}`;
      out.set(key, [...(out.get(key) ?? []), String(r.metric)]);
    }
    return out;
  }

  /**
   * Whether the raw points and the writer's tier agree on how many points
   * each segment's attempt has in the buckets where a segment read falls back
   * to raw points (the 256-step buckets crossing a cut). The writer inserts a
   * write set's points and tier rows apart: while one has landed and the other
   * not, a summary over segments may count a write set in part, and should
   * not be remembered (the query side's cache of cut summaries).
   */
  async rawAgreesWithTier(project: string, segs: readonly ReadSegment[]): Promise<boolean> {
    // The windows a summary over segments reads raw points in (the buckets of the level above raw).
    const windows = edgeWindows(segs, levelsUpTo(TIER_WIDTHS[TIER_WIDTHS.length - 1]!, false)[1]!, {});
    if (windows.length === 0 || segs.length === 0) return true;
    const params: Params = { project, runs: [...new Set(segs.map((s) => s.run))], segRuns: segs.map((s) => s.run), segAttempts: segs.map((s) => s.attempt) };
    const win = (key: string) => windows.map(([lo, hi], i) => {
      params[`lo${i}`] = BigInt(lo); params[`hi${i}`] = BigInt(hi);
      return `(${key} >= {lo${i}:Int64} AND ${key} < {hi${i}:Int64})`;
    }).join(' OR ');
    const mine = 'has(arrayZip({segRuns:Array(String)}, {segAttempts:Array(UInt32)}), (toString(run), attempt))';
    const rows = await this.line.read(project, (limit) => this.adapter.query<{ raw: number; tier: number }>(
      `SELECT (SELECT count() FROM ${this.db}.points WHERE project = {project:String} AND run IN {runs:Array(String)} AND (${win('step')}) AND ${mine}) AS raw,
              (SELECT sum(count) FROM ${this.db}.${tierTable(TIER_WIDTHS[0])} WHERE sid IN (SELECT DISTINCT sipHash128(project, run, metric, rank)
                 FROM ${this.db}.summaries WHERE project = {project:String} AND run IN {runs:Array(String)}) AND (${win('bucket')}) AND ${mine}) AS tier`,
      params, limit,
    ));
    return Number(rows[0]?.raw) === Number(rows[0]?.tier);
  }
}
