// The series reader: one series request planned and read, columns end to end.
// It owns the extent guess (open ranges), the re-plan when the guess was
// wrong, the fallback to the series' range, and the most specific 404; the
// tier planner beside it (tier-planner.ts) picks bucket and source.
import { TIER_WIDTHS, type LineageReads, type ReadSegment, type Reads, type SeriesColumns } from '@stepstream/storage';
import { QueryErrors } from './errors.js';
import { requireRun } from './require-run.js';
import { resolveLineage, type FetchFacts, type LineageMode } from './lineage.js';
import { SeriesExtents, type Extent } from './series-extents.js';
import { planSeries, type SeriesPlan } from './tier-planner.js';

/** What the reader needs of the store: reads, not the whole store. */
export interface SeriesReads {
  reads: Pick<Reads, 'runs' | 'projectExists'>;
  lineage: Pick<LineageReads, 'facts' | 'seriesColumns' | 'summaries'>;
}

export interface SeriesRequest {
  project: string;
  run: string;
  metric: string;
  rank: number;
  /** Either end may be left open: the series' own first step / one past its last. */
  from?: number;
  to?: number;
  points: number;
  /** Aggregate the raw points instead of a rollup tier (the same answer, slower). */
  raw?: boolean;
  /** False when the caller left `rank` to its default (-1): a 404 then names the ranks the metric has. */
  rankGiven?: boolean;
  /** Whose points: the effective history (the default), one attempt's, or a fork's own. */
  lineage?: LineageMode;
  /** Read each bucket's first and last point's time_ms too (the columns' timeFirst, timeLast). */
  times?: boolean;
  /** Where the lineage's facts come from (a batch reads them once for all its series); default: the store, for this read. */
  facts?: FetchFacts;
}

export interface SeriesAnswer {
  /** The range answered: as given, else the series' extent (an open end never crosses a given one). */
  from: number;
  to: number;
  bucket: number;
  /** 0 = raw points, else the rollup tier merged from. */
  tier: number;
  columns: SeriesColumns | null;
}

const extentKey = (q: SeriesRequest) => JSON.stringify([q.project, q.run, q.metric, q.rank, q.lineage ?? { kind: 'effective' }]);

export class SeriesReader {
  private readonly extents = new SeriesExtents();

  constructor(private readonly store: SeriesReads) {}

  /** The first and last step the series had when it was last read (series-batch-reader.ts shares the guesses). */
  guess(q: SeriesRequest): Extent | undefined {
    return this.extents.get(extentKey(q));
  }

  remember(q: SeriesRequest, extent: Extent): void {
    this.extents.set(extentKey(q), extent);
  }

  async read(q: SeriesRequest): Promise<SeriesAnswer> {
    const { project, run, metric, rank, points } = q;
    const mode = q.lineage ?? { kind: 'effective' };
    let { from, to } = q;
    const openFrom = from === undefined, openTo = to === undefined;
    const tiers = q.raw ? [] : TIER_WIDTHS;
    const key = extentKey(q);
    const lineage = await resolveLineage(run, q.facts ?? ((runs) => this.store.lineage.facts(project, runs)), mode);
    if (mode.kind === 'attempt' && lineage.segments.length === 0) await this.unknownAttempt(project, run, mode.attempt);
    const segs = lineage.read;
    const read = (p: { bucket: number; source: number; lo?: number; hi?: number }) =>
      this.store.lineage.seriesColumns({ project, metric, rank, ...p, ...(q.times ? { times: true } : {}) }, segs);
    const range = () => this.range(project, segs, metric, rank);
    let columns: SeriesColumns | undefined, plan: SeriesPlan | undefined;
    /** Known to hold points (so an empty answer is a range without any, not a 404). */
    let exists = false;

    // NOTE: a range left open is the series' own first/last step. Rather than
    // look them up first (a second engine query), the plan is made from the
    // extent this series had at its last request, the open ends are read
    // unbounded, and the buckets' own first/last steps tell the actual
    // extent: the answer stands when it gives the same plan (a dashboard
    // refreshing a live run), else it is read again with the right plan.
    const guess = openFrom || openTo ? this.extents.get(key) : undefined;
    if (guess) {
      const f = from ?? guess.first, t = to ?? guess.last + 1;
      if (t > f) {
        const p = planSeries(f, t, points, tiers);
        const got = await read({ bucket: p.bucket, source: p.source, ...(openFrom ? {} : { lo: p.lo }), ...(openTo ? {} : { hi: p.hi }) });
        const n = got.x.length;
        if (n > 0) {
          exists = true;
          const first = got.firstStep[0]!, last = got.lastStep[n - 1]!;
          // Only an open end was read unbounded: only it tells the series' extent.
          this.extents.set(key, { first: openFrom ? first : guess.first, last: openTo ? last : guess.last });
          from ??= first;
          to ??= last + 1;
          const actual = to > from ? planSeries(from, to, points, tiers) : undefined;
          if (actual && actual.bucket === p.bucket && actual.source === p.source) { columns = got; plan = actual; }
        }
      }
    }
    if (from === undefined || to === undefined) {
      const extent = await range();
      if (!extent) { this.extents.delete(key); return this.notFound(q, segs); }
      exists = true;
      this.extents.set(key, extent);
      from ??= extent.first;
      to ??= extent.last + 1;
    }
    // An open end never crosses the given one: `from` past the series' end
    // (a dashboard panned beyond it) is the empty range [from, from).
    if (openTo && to < from) to = from;
    if (openFrom && from > to) from = to;
    if (to <= from) return { from, to, bucket: 1, tier: 0, columns: null };
    if (!columns || !plan) {
      plan = planSeries(from, to, points, tiers);
      columns = await read({ bucket: plan.bucket, source: plan.source, lo: plan.lo, hi: plan.hi });
    }
    if (columns.x.length === 0 && !exists && !(await range())) return this.notFound(q, segs);
    return { from, to, bucket: plan.bucket, tier: plan.source, columns };
  }

  /** The first and last step of the series' points over the segments; null when it has none. */
  private async range(project: string, segs: readonly ReadSegment[], metric: string, rank: number): Promise<{ first: number; last: number } | null> {
    const [row] = await this.store.lineage.summaries(project, segs, { metric, rank });
    return row && row.count > 0 ? { first: row.first_step, last: row.last_step } : null;
  }

  private async unknownAttempt(project: string, run: string, attempt: number): Promise<never> {
    await requireRun(this.store.reads, project, run);
    throw QueryErrors.attemptNotFound(run, attempt);
  }

  /** The most specific 404: no project, no run, no such metric, or not at this rank. */
  private async notFound(q: SeriesRequest, segs: readonly ReadSegment[]): Promise<never> {
    const { project, run, metric, rank } = q;
    const ranks = (await this.store.lineage.summaries(project, segs, { metric })).filter((r) => r.count > 0);
    if (ranks.length && rank === -1 && q.rankGiven === false) throw QueryErrors.noRunLevel(run, metric, ranks.map((r) => r.rank));
    if (ranks.length) throw QueryErrors.metricNotFound(run, metric, rank);
    await requireRun(this.store.reads, project, run);
    throw QueryErrors.metricNotFound(run, metric);
  }
}
