// Run list (run-list-route.ts), run detail and a run's lineage.
import type { FastifyInstance } from 'fastify';
import type { Store } from '@stepstream/storage';
import { EffectiveSummaries } from './effective-summaries.js';
import { resolveLineage, startOf, type Lineage } from './lineage.js';
import { requireRun } from './require-run.js';
import { jnum } from './params.js';
import { ROUTES } from './route-schemas.js';
import { runListRoute } from './run-list-route.js';
import { RUN_FIELD_BYTES, runView } from './run-view.js';

interface RunParams { project: string; run: string }

/** `summaries`: the cache of effective summaries the process's routes share (else one of their own). */
export async function runsRoutes(app: FastifyInstance, deps: { store: Store; summaries?: EffectiveSummaries }): Promise<void> {
  const { reads, lineage: lineageReads } = deps.store;
  const lineageOf = (project: string, run: string): Promise<Lineage> => resolveLineage(run, (runs) => lineageReads.facts(project, runs));
  const summaries = deps.summaries ?? new EffectiveSummaries(lineageReads);

  await runListRoute(app, { store: deps.store, summaries });

  app.get<{ Params: RunParams }>('/v1/projects/:project/runs/:run', ROUTES.run, async (req) => {
    const { project, run } = req.params;
    // NOTE: at once: the run's row and its lineage are the two reads a first chart waits on.
    const [row, lineage] = await Promise.all([requireRun(reads, project, run, RUN_FIELD_BYTES), lineageOf(project, run)]);
    const metrics = await summaries.metrics(project, lineage);
    const lastStep = metrics.length ? metrics.reduce((m, x) => Math.max(m, x.last_step), -Infinity) : null;
    return {
      ...runView({ ...row, last_step: lastStep, metric_count: metrics.length }, RUN_FIELD_BYTES),
      attempts: lineage.attempts.length,
      fork_of: lineage.forkOf,
      metrics: metrics.map((m) => ({
        name: m.name, ranks: m.ranks, first_step: m.first_step, last_step: m.last_step, count: m.count, nonfinite: m.nonfinite,
        last: jnum(m.last), min: m.min, max: m.max,
      })),
    };
  });

  app.get<{ Params: RunParams }>('/v1/projects/:project/runs/:run/lineage', ROUTES.lineage, async (req) => {
    const { project, run } = req.params;
    const l = await lineageOf(project, run);
    // A run with attempts (or declarations) stored exists; only one without needs its row read for the 404.
    if (!l.facts.has(run)) await requireRun(reads, project, run);
    return {
      run,
      fork_of: l.forkOf,
      cut: l.cut,
      attempts: l.attempts.map((a) => ({ attempt: a.attempt, start_step: startOf(a), first_step: a.firstStep, last_step: a.lastStep, points: a.points })),
      segments: l.segments.map((s) => ({ run: s.run, attempt: s.attempt, from: s.from, to: s.to })),
    };
  });
}
