// GET /v1/projects/:project/runs/:run/series: a downsampled series whose
// every bucket equals the same aggregation over the raw points. Parameters
// are checked by route-schemas.ts; planning and reading are the series
// reader's (series-reader.ts); the answer's JSON is series-json.ts's.
import type { FastifyInstance } from 'fastify';
import { QueryErrors } from './errors.js';
import { ROUTES } from './route-schemas.js';
import { seriesAnswerJson } from './series-json.js';
import { SeriesReader, type SeriesReads } from './series-reader.js';

/** The query string once route-schemas.ts has validated it. */
interface SeriesQuery { metric: string; rank?: number; from?: number; to?: number; points?: number; tier?: 'auto' | 'raw'; attempt?: number; lineage?: 'effective' | 'own' }

/** `reader`: the series reader the process's routes share (its extent guesses), else one of its own. */
export async function seriesRoute(app: FastifyInstance, deps: { store: SeriesReads; defaultPoints: number; reader?: SeriesReader }): Promise<void> {
  const reader = deps.reader ?? new SeriesReader(deps.store);

  app.get<{ Params: { project: string; run: string }; Querystring: SeriesQuery }>('/v1/projects/:project/runs/:run/series', ROUTES.series, async (req, reply) => {
    const { project, run } = req.params;
    const { metric, rank = -1, points = deps.defaultPoints, tier = 'auto', from, to, attempt, lineage } = req.query;
    if (from !== undefined && to !== undefined && to <= from) throw QueryErrors.param('to', `must be greater than from (${from}), got ${to}`);
    if (attempt !== undefined && lineage !== undefined) throw QueryErrors.param('lineage', 'cannot be given with attempt (an attempt\'s points are read whatever its lineage)');
    const a = await reader.read({
      project, run, metric, rank, points, raw: tier === 'raw', rankGiven: req.query.rank !== undefined,
      lineage: attempt !== undefined ? { kind: 'attempt', attempt } : lineage === 'own' ? { kind: 'own' } : { kind: 'effective' },
      ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }),
    });
    const body = await seriesAnswerJson(metric, rank, a);
    return reply.type('application/json; charset=utf-8').send(typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength));
  });
}
