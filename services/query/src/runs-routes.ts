// Run list, run detail and the per-rank view of a metric.
import type { FastifyInstance } from 'fastify';
import type { RunRow, Store } from '@stepstream/storage';
import { QueryErrors } from './errors.js';
import { jnum } from './params.js';
import { ROUTES } from './route-schemas.js';
import { LIST_FIELD_BYTES, RUN_FIELD_BYTES, runView } from './run-view.js';

interface RunParams { project: string; run: string }

export async function runsRoutes(app: FastifyInstance, deps: { store: Store }): Promise<void> {
  const { reads } = deps.store;

  async function requireRun(project: string, run: string, maxFieldBytes: number): Promise<RunRow> {
    const [row] = await reads.runs(project, { run, maxFieldBytes });
    if (row) return row;
    if (!(await reads.projectExists(project))) throw QueryErrors.projectNotFound(project);
    throw QueryErrors.runNotFound(project, run);
  }

  app.get<{ Params: { project: string } }>('/v1/projects/:project/runs', ROUTES.runs, async (req) => {
    const rows = await reads.runs(req.params.project, { maxFieldBytes: LIST_FIELD_BYTES });
    if (rows.length === 0) throw QueryErrors.projectNotFound(req.params.project);
    return { runs: rows.map((r) => runView(r, LIST_FIELD_BYTES)) };
  });

  app.get<{ Params: RunParams }>('/v1/projects/:project/runs/:run', ROUTES.run, async (req) => {
    const { project, run } = req.params;
    const row = await requireRun(project, run, RUN_FIELD_BYTES);
    const metrics = await reads.metrics(project, run);
    return {
      ...runView(row, RUN_FIELD_BYTES),
      metrics: metrics.map((m) => ({
        name: m.name, ranks: m.ranks, first_step: m.first_step, last_step: m.last_step, count: m.count, nonfinite: m.nonfinite,
        last: jnum(m.last), min: m.min, max: m.max,
      })),
    };
  });

  app.get<{ Params: RunParams; Querystring: { metric: string } }>('/v1/projects/:project/runs/:run/ranks', ROUTES.ranks, async (req) => {
    const { project, run } = req.params;
    const { metric } = req.query;
    await requireRun(project, run, 0);
    const ranks = await reads.ranks(project, run, metric);
    if (ranks.length === 0) throw QueryErrors.metricNotFound(run, metric);
    return {
      metric,
      ranks: ranks.map((r) => ({ rank: r.rank, first_step: r.first_step, last_step: r.last_step, count: r.count, nonfinite: r.nonfinite, last: jnum(r.last), min: r.min, max: r.max })),
    };
  });
}
