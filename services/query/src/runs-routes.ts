// Run list, run detail and the per-rank view of a metric.
import type { FastifyInstance } from 'fastify';
import type { RunRow, Store } from '@stepstream/storage';
import { QueryErrors } from './errors.js';
import { jnum, str, type Query } from './params.js';

const STATUS = ['running', 'running', 'finished', 'failed', 'crashed'] as const;

function parseConfig(json: string): unknown {
  if (!json) return {};
  try { return JSON.parse(json); } catch { return {}; }
}

export function runView(r: RunRow) {
  return {
    id: r.id,
    name: r.name || r.id,
    status: STATUS[r.status] ?? 'running',
    tags: r.tags,
    config: parseConfig(r.config_json),
    meta: r.meta,
    started_ms: r.started_ms || null,
    finished_ms: r.finished_ms || null,
    last_step: r.last_step,
    metric_count: r.metric_count,
  };
}

interface RunParams { project: string; run: string }

export async function runsRoutes(app: FastifyInstance, deps: { store: Store }): Promise<void> {
  const { reads } = deps.store;

  async function requireRun(project: string, run: string): Promise<RunRow> {
    const [row] = await reads.runs(project, run);
    if (row) return row;
    if (!(await reads.projectExists(project))) throw QueryErrors.projectNotFound(project);
    throw QueryErrors.runNotFound(project, run);
  }

  app.get<{ Params: { project: string } }>('/v1/projects/:project/runs', async (req) => {
    const rows = await reads.runs(req.params.project);
    if (rows.length === 0) throw QueryErrors.projectNotFound(req.params.project);
    return { runs: rows.map(runView) };
  });

  app.get<{ Params: RunParams }>('/v1/projects/:project/runs/:run', async (req) => {
    const { project, run } = req.params;
    const row = await requireRun(project, run);
    const metrics = await reads.metrics(project, run);
    return {
      ...runView(row),
      metrics: metrics.map((m) => ({
        name: m.name, ranks: m.ranks, first_step: m.first_step, last_step: m.last_step, count: m.count, nonfinite: m.nonfinite,
        last: jnum(m.last), min: m.min, max: m.max,
      })),
    };
  });

  app.get<{ Params: RunParams; Querystring: Query }>('/v1/projects/:project/runs/:run/ranks', async (req) => {
    const { project, run } = req.params;
    const metric = str(req.query, 'metric', true);
    await requireRun(project, run);
    const ranks = await reads.ranks(project, run, metric);
    if (ranks.length === 0) throw QueryErrors.metricNotFound(run, metric);
    return {
      metric,
      ranks: ranks.map((r) => ({ rank: r.rank, first_step: r.first_step, last_step: r.last_step, count: r.count, nonfinite: r.nonfinite, last: jnum(r.last), min: r.min, max: r.max })),
    };
  });
}
