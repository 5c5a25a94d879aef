// GET /v1/projects/:project/runs/:run/series: a downsampled series whose
// every bucket equals the same aggregation over the raw points.
import type { FastifyInstance } from 'fastify';
import { TIER_WIDTHS, type SeriesColumns, type Store } from '@stepstream/storage';
import { QueryErrors } from './errors.js';
import { ROUTES } from './route-schemas.js';
import { planSeries, type SeriesPlan } from './tier-planner.js';
import { SeriesExtents } from './series-extents.js';
import { seriesJson } from './series-json.js';

/** The query string once route-schemas.ts has validated it. */
interface SeriesQuery { metric: string; rank?: number; from?: number; to?: number; points?: number; tier?: 'auto' | 'raw' }

export async function seriesRoute(app: FastifyInstance, deps: { store: Store; defaultPoints: number }): Promise<void> {
  const { reads } = deps.store;
  const extents = new SeriesExtents();

  /** The most specific 404: no project, no run, no such metric, or not at this rank. */
  async function notFound(project: string, run: string, metric: string, rank: number): Promise<never> {
    const ranks = await reads.ranks(project, run, metric);
    if (ranks.length) throw QueryErrors.metricNotFound(run, metric, rank);
    const [runRow] = await reads.runs(project, { run, maxFieldBytes: 0 });
    if (!runRow) {
      if (!(await reads.projectExists(project))) throw QueryErrors.projectNotFound(project);
      throw QueryErrors.runNotFound(project, run);
    }
    throw QueryErrors.metricNotFound(run, metric);
  }

  app.get<{ Params: { project: string; run: string }; Querystring: SeriesQuery }>('/v1/projects/:project/runs/:run/series', ROUTES.series, async (req, reply) => {
    const { project, run } = req.params;
    const { metric, rank = -1, points = deps.defaultPoints, tier: tierParam = 'auto' } = req.query;
    let { from, to } = req.query;
    const openFrom = from === undefined, openTo = to === undefined;
    if (from !== undefined && to !== undefined && to <= from) throw QueryErrors.param('to', `must be greater than from (${from}), got ${to}`);

    // tier=raw aggregates the raw points instead of a rollup tier: the same
    // answer, slower; for checking and for benchmarks.
    const tiers = tierParam === 'raw' ? [] : TIER_WIDTHS;
    const key = JSON.stringify([project, run, metric, rank]);
    let rows: SeriesColumns | undefined, plan: SeriesPlan | undefined;
    /** Known to hold points (so an empty answer is a range without any, not a 404). */
    let exists = false;

    // NOTE: a range left open is the series' own first/last step. Rather than
    // look them up first (a second engine query), the plan is made from the
    // extent this series had at its last request, the open ends are read
    // unbounded, and the buckets' own first/last steps tell the actual
    // extent: the answer stands when it gives the same plan (a dashboard
    // refreshing a live run), else it is read again with the right plan.
    const guess = from === undefined || to === undefined ? extents.get(key) : undefined;
    if (guess) {
      const f = from ?? guess.first, t = to ?? guess.last + 1;
      if (t > f) {
        const p = planSeries(f, t, points, tiers);
        const got = await reads.seriesColumns({ project, run, metric, rank, bucket: p.bucket, source: p.source, lo: from === undefined ? undefined : p.lo, hi: to === undefined ? undefined : p.hi });
        const n = got.x.length;
        if (n > 0) {
          exists = true;
          const first = got.firstStep[0]!, last = got.lastStep[n - 1]!;
          // Only an open end was read unbounded: only it tells the series' extent.
          extents.set(key, { first: from === undefined ? first : guess.first, last: to === undefined ? last : guess.last });
          from ??= first;
          to ??= last + 1;
          const actual = to > from ? planSeries(from, to, points, tiers) : undefined;
          if (actual && actual.bucket === p.bucket && actual.source === p.source) { rows = got; plan = actual; }
        }
      }
    }
    if (from === undefined || to === undefined) {
      const range = await reads.seriesRange(project, run, metric, rank);
      if (!range) { extents.delete(key); return notFound(project, run, metric, rank); }
      exists = true;
      extents.set(key, range);
      from ??= range.first;
      to ??= range.last + 1;
    }
    // An open end never crosses the given one: `from` past the series' end
    // (a dashboard panned beyond it) is the empty range [from, from).
    if (openTo && to < from) to = from;
    if (openFrom && from > to) from = to;
    const empty = { metric, rank, from, to, bucket: 1, tier: 0, x: [], min: [], max: [], mean: [], first: [], last: [], count: [], nonfinite: [] };
    if (to <= from) return empty;
    if (!rows || !plan) {
      plan = planSeries(from, to, points, tiers);
      rows = await reads.seriesColumns({ project, run, metric, rank, bucket: plan.bucket, source: plan.source, lo: plan.lo, hi: plan.hi });
    }
    if (rows.x.length === 0 && !exists && !(await reads.seriesRange(project, run, metric, rank))) return notFound(project, run, metric, rank);
    const body = await seriesJson({ metric, rank, from, to, bucket: plan.bucket, tier: plan.source }, rows);
    return reply.type('application/json; charset=utf-8').send(typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength));
  });
}
