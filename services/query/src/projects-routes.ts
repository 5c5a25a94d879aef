// The project list and a project's metrics: what a dashboard's project and
// metric pickers read.
import type { FastifyInstance } from 'fastify';
import type { ApiKeys } from '@stepstream/runtime';
import type { Store } from '@stepstream/storage';
import type { EffectiveSummaries } from './effective-summaries.js';
import { QueryErrors } from './errors.js';
import { projectMetrics } from './project-metrics.js';
import { ROUTES } from './route-schemas.js';

export async function projectsRoutes(app: FastifyInstance, deps: { store: Store; keys: ApiKeys; summaries: EffectiveSummaries }): Promise<void> {
  const { reads, lineage } = deps.store;

  // With API keys on, only the projects the request's key may read (read-access.ts checks the routes that name one).
  app.get('/v1/projects', ROUTES.projects, async (req) => {
    const readable = deps.keys.readableProjects(req.headers.authorization);
    const rows = await reads.projects(readable === null ? undefined : [...readable]);
    // A receipt time of 0: nothing tells when (rows of an older release whose points carry no time).
    return { projects: rows.map((p) => ({ name: p.project, runs: p.runs, last_ingest_ms: p.lastIngestMs > 0 ? p.lastIngestMs : null })) };
  });

  app.get<{ Params: { project: string } }>('/v1/projects/:project/metrics', ROUTES.metrics, async (req) => {
    const { project } = req.params;
    const metrics = await projectMetrics(project, { reads, lineage, summaries: deps.summaries });
    if (metrics.length === 0 && !(await reads.projectExists(project))) throw QueryErrors.projectNotFound(project);
    return { metrics };
  });
}
