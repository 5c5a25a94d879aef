// Reads across the ranks of a metric, over the run's effective history: the
// per-rank list (sorted, top-k, over a window), the band, the heatmap and the
// stragglers. Ranks here are the ranks >= 0 but in the per-rank list, which
// lists rank -1 like any rank. The figures' rules are docs/api.md's.
import type { FastifyInstance } from 'fastify';
import { TIER_WIDTHS, finiteOrNull, type RankBand, type SeriesSummaryRow, type Store } from '@stepstream/storage';
import { QueryErrors } from './errors.js';
import { resolveLineage, windowSegments, type Lineage } from './lineage.js';
import { Recent } from './recent.js';
import { jnum } from './params.js';
import { meanOf, type RankSort, sortRanks, stragglers } from './rank-figures.js';
import { requireRun } from './require-run.js';
import { ROUTES } from './route-schemas.js';
import { planSeries } from './tier-planner.js';

interface RunParams { project: string; run: string }

interface Window { metric: string; from?: number; to?: number }

/**
 * How the per-rank figures of a window are read: with sums (for the means),
 * and with the engine's JIT when a window is given, whose raw points of every
 * rank are aggregated (adapter.ts WITH_JIT).
 */
const windowFigures = (from?: number, to?: number) => ({ withSums: true, jit: from !== undefined || to !== undefined });

/** Ranks from which on a window's figures are read in two halves side by side (LineageReads.summaries splitAtRank). */
const SPLIT_RANKS = 64;
/** Metrics whose rank count is remembered at most. */
const KEPT_RANK_COUNTS = 4096;

export async function ranksRoutes(app: FastifyInstance, deps: { store: Store; defaultPoints: number }): Promise<void> {
  const { reads, lineage: lineageReads, ranks: rankReads } = deps.store;
  /**
   * How many ranks each metric's last window answer had: the next window's
   * read is split at half of them. NOTE: only a split point: a stale count
   * splits unevenly, never wrongly (the halves cover every rank), and a
   * metric's first window is read whole.
   */
  const rankCounts = new Recent<number>(KEPT_RANK_COUNTS);
  /** Each rank's figures over a window's effective points (all of them without one), the rows with points. */
  async function windowRows(project: string, run: string, l: Lineage, q: Window, ranked: boolean): Promise<SeriesSummaryRow[]> {
    const key = JSON.stringify([project, run, q.metric]);
    const windowed = q.from !== undefined || q.to !== undefined;
    const known = windowed ? rankCounts.get(key) : undefined;
    const opts = { ...windowFigures(q.from, q.to), ...(known !== undefined && known >= SPLIT_RANKS ? { splitAtRank: Math.ceil(known / 2) } : {}) };
    const rows = (await lineageReads.summaries(project, windowSegments(l, q.from, q.to), { metric: q.metric, ...(ranked ? { ranked } : {}) }, opts)).filter((r) => r.count > 0);
    if (windowed) rankCounts.set(key, rows.reduce((n, r) => Math.max(n, r.rank + 1), 0));
    return rows;
  }

  /**
   * The run's lineage, or the 404 for it. NOTE: a run is stored iff it has
   * lineage facts (points or a RunInfo): the facts answer for its existence,
   * and the run's row (a read of its summaries and metadata, the costliest of
   * a band's reads) is read only to say which 404.
   */
  async function lineageOf(project: string, run: string): Promise<Lineage> {
    const l = await resolveLineage(run, (runs) => lineageReads.facts(project, runs));
    if (!l.facts.has(run)) await requireRun(reads, project, run);
    return l;
  }

  /** The run's lineage and the metric's ranks >= 0 over its whole effective history (404 without any). */
  async function rankedMetric(project: string, run: string, metric: string, known?: Lineage): Promise<{ l: Lineage; ranks: SeriesSummaryRow[] }> {
    const l = known ?? await lineageOf(project, run);
    const ranks = (await lineageReads.summaries(project, l.read, { metric, ranked: true })).filter((r) => r.count > 0);
    if (ranks.length === 0) throw QueryErrors.noRanks(run, metric);
    return { l, ranks };
  }

  /** Window and bucket plan as /series makes them; the default range spans the ranks' effective steps. */
  function plan(q: Window & { points: number }, ranks: readonly SeriesSummaryRow[]) {
    if (q.from !== undefined && q.to !== undefined && q.to <= q.from) throw QueryErrors.param('to', `must be greater than from (${q.from}), got ${q.to}`);
    let from = q.from ?? ranks.reduce((m, r) => Math.min(m, r.first_step), Infinity);
    let to = q.to ?? ranks.reduce((m, r) => Math.max(m, r.last_step), -Infinity) + 1;
    if (q.to === undefined && to < from) to = from;
    if (q.from === undefined && from > to) from = to;
    return { from, to, plan: to > from ? planSeries(from, to, q.points, TIER_WIDTHS) : null };
  }

  app.get<{ Params: RunParams; Querystring: Window & { sort?: RankSort; order?: 'asc' | 'desc'; limit?: number } }>(
    '/v1/projects/:project/runs/:run/ranks', ROUTES.ranks, async (req) => {
      const { project, run } = req.params;
      const { metric, from, to, sort, order = 'desc', limit } = req.query;
      if (from !== undefined && to !== undefined && to <= from) throw QueryErrors.param('to', `must be greater than from (${from}), got ${to}`);
      const l = await lineageOf(project, run);
      const rows = await windowRows(project, run, l, req.query, false);
      if (rows.length === 0 && from === undefined && to === undefined) throw QueryErrors.metricNotFound(run, metric);
      if (rows.length === 0 && !(await lineageReads.summaries(project, l.read, { metric })).some((r) => r.count > 0)) throw QueryErrors.metricNotFound(run, metric);
      const listed = sortRanks(rows, sort, order).slice(0, limit ?? rows.length);
      return {
        metric,
        ranks: listed.map((r) => ({
          rank: r.rank, first_step: r.first_step, last_step: r.last_step, count: r.count, nonfinite: r.nonfinite,
          last: jnum(r.last), min: r.min, max: r.max, mean: meanOf(r),
        })),
      };
    });

  app.get<{ Params: RunParams; Querystring: Window & { points?: number } }>('/v1/projects/:project/runs/:run/ranks/series', ROUTES.rankBand, async (req) => {
    const { project, run } = req.params;
    const points = req.query.points ?? deps.defaultPoints;
    const read = (l: Lineage, p: NonNullable<ReturnType<typeof plan>['plan']>) =>
      rankReads.band({ project, metric: req.query.metric, bucket: p.bucket, source: p.source, lo: p.lo, hi: p.hi }, l.read);
    // NOTE: with both ends given the plan needs nothing of the metric's ranks,
    // and a band with buckets says the metric has ranked points: the metric's
    // ranks (a summaries read, most of a zoomed band's time) are read only
    // for a default range, or to tell an empty window from a 404.
    let from: number, to: number, p: ReturnType<typeof plan>['plan'], band: RankBand | null = null;
    if (req.query.from !== undefined && req.query.to !== undefined) {
      ({ from, to, plan: p } = plan({ ...req.query, points }, []));
      const l = await lineageOf(project, run);
      band = p ? await read(l, p) : null;
      if (!band || band.x.length === 0) await rankedMetric(project, run, req.query.metric);
    } else {
      const { l, ranks } = await rankedMetric(project, run, req.query.metric);
      ({ from, to, plan: p } = plan({ ...req.query, points }, ranks));
      band = p ? await read(l, p) : null;
    }
    return {
      metric: req.query.metric, from, to, bucket: p?.bucket ?? 1, x: band?.x ?? [],
      min: band?.min ?? [], max: band?.max ?? [],
      mean: band ? band.sum.map((s, i) => (band.count[i]! > band.nonfinite[i]! ? s / (band.count[i]! - band.nonfinite[i]!) : null)) : [],
      count: band?.count ?? [], nonfinite: band?.nonfinite ?? [], min_rank: band?.minRank ?? [], max_rank: band?.maxRank ?? [], ranks: band?.ranks ?? [],
    };
  });

  app.get<{ Params: RunParams; Querystring: Window & { points?: number; rows?: number; stat?: 'mean' | 'min' | 'max' } }>(
    '/v1/projects/:project/runs/:run/ranks/heatmap', ROUTES.rankHeatmap, async (req) => {
      const { project, run } = req.params;
      const { metric, rows = 256, stat = 'mean' } = req.query;
      const { l, ranks } = await rankedMetric(project, run, metric);
      const { plan: p } = plan({ ...req.query, points: req.query.points ?? 200 }, ranks);
      const r = ranks.reduce((m, x) => Math.max(m, x.rank), 0) + 1;
      const group = Math.ceil(r / rows), rowCount = Math.ceil(r / group);
      const cells = p ? await rankReads.heatmap({ project, metric, bucket: p.bucket, source: p.source, lo: p.lo, hi: p.hi, group, stat }, l.read) : null;
      // The columns: the buckets any cell has, in step order; a cell's value is the stat where finite, else null.
      const x = cells ? [...new Set(cells.x)].sort((a, b) => a - b) : [];
      const col = new Map(x.map((v, i) => [v, i]));
      const grid: (number | null)[][] = Array.from({ length: rowCount }, () => new Array<number | null>(x.length).fill(null));
      if (cells) for (let i = 0; i < cells.x.length; i++) grid[cells.row[i]!]![col.get(cells.x[i]!)!] = finiteOrNull(cells.value[i]);
      return { metric, bucket: p?.bucket ?? 1, group, x, row_first_rank: Array.from({ length: rowCount }, (_, i) => i * group), cells: grid };
    });

  app.get<{ Params: RunParams; Querystring: Window & { k?: number } }>('/v1/projects/:project/runs/:run/ranks/stragglers', ROUTES.stragglers, async (req) => {
    const { project, run } = req.params;
    const { metric, from, to, k = 3.5 } = req.query;
    if (from !== undefined && to !== undefined && to <= from) throw QueryErrors.param('to', `must be greater than from (${from}), got ${to}`);
    // NOTE: a window with ranked points says the metric has ranks: the 404
    // check (the metric's ranks over the whole history, a second statement
    // in the project's line of reads) is read only for an empty window.
    const l = await lineageOf(project, run);
    const rows = await windowRows(project, run, l, req.query, true);
    if (rows.length === 0) await rankedMetric(project, run, metric, l);
    const means = rows.flatMap((r) => { const m = meanOf(r); return m === null ? [] : [{ rank: r.rank, mean: m }]; });
    return { metric, ...stragglers(means, k) };
  });
}
