// GET /v1/projects/:project/runs/:run/export: every raw point of a run's
// effective history (or of one attempt), as Parquet, Arrow or CSV written by
// the engine and streamed as it is written (storage: point-export.ts). The
// same lineage and the same segment reads as /series; the same 404s.
import type { FastifyInstance } from 'fastify';
import type { ExportFilter, ExportFormat, Store } from '@stepstream/storage';
import { EffectiveSummaries } from './effective-summaries.js';
import { QueryErrors } from './errors.js';
import { resolveLineage, type Lineage } from './lineage.js';
import { requireRun } from './require-run.js';
import { MAX_EXPORT_METRICS, MAX_EXPORT_RANKS, ROUTES } from './route-schemas.js';

interface ExportQuery { format?: ExportFormat; metrics?: string; ranks?: string; from?: number; to?: number; attempt?: number }

const CONTENT_TYPES: Record<ExportFormat, string> = {
  parquet: 'application/vnd.apache.parquet',
  arrow: 'application/vnd.apache.arrow.stream',
  csv: 'text/csv; charset=utf-8',
};
const EXTENSIONS: Record<ExportFormat, string> = { parquet: 'parquet', arrow: 'arrows', csv: 'csv' };

/** `attachment` with the run's id as the file name: plain ASCII in filename, the id itself in filename* (RFC 6266). */
export function contentDisposition(run: string, attempt: number | undefined, format: ExportFormat): string {
  const name = `${run}${attempt === undefined ? '' : `.attempt-${attempt}`}.${EXTENSIONS[format]}`;
  const ascii = name.replace(/[^A-Za-z0-9._-]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/** A comma list without repeats, within its bound. */
function list<T>(param: string, text: string | undefined, max: number, parse: (s: string) => T): T[] | undefined {
  if (text === undefined) return undefined;
  const items = [...new Set(text.split(',').map(parse))];
  if (items.length > max) throw QueryErrors.param(param, `names ${items.length}, at most ${max} may be given`, { limit: max });
  return items;
}

function parseRank(s: string): number {
  const r = Number(s);
  if (!Number.isSafeInteger(r) || r < -1 || r > 2 ** 31 - 1) throw QueryErrors.param('ranks', `each rank is -1 or a rank >= 0 below 2^31, got ${JSON.stringify(s)}`);
  return r;
}

/** `summaries`: the cache of effective summaries the process's routes share (else one of its own). */
export async function exportRoute(app: FastifyInstance, deps: { store: Pick<Store, 'reads' | 'lineage' | 'exports'>; summaries?: EffectiveSummaries }): Promise<void> {
  const { reads, lineage: lineageReads, exports } = deps.store;
  const summaries = deps.summaries ?? new EffectiveSummaries(lineageReads);

  /** The 404s of /series: no project or run, no such attempt, a metric (or rank) asked for without effective points. */
  async function check(project: string, run: string, l: Lineage, q: ExportQuery, filter: ExportFilter): Promise<void> {
    await requireRun(reads, project, run);
    if (q.attempt !== undefined && l.segments.length === 0) throw QueryErrors.attemptNotFound(run, q.attempt);
    if (!filter.metrics && !filter.ranks) return;
    const series = await summaries.of(project, l);
    for (const m of filter.metrics ?? []) if (!series.some((s) => s.metric === m)) throw QueryErrors.metricNotFound(run, m);
    const asked = filter.metrics ? series.filter((s) => filter.metrics!.includes(s.metric)) : series;
    for (const r of filter.ranks ?? []) {
      if (asked.some((s) => s.rank === r)) continue;
      if (filter.metrics?.length === 1) throw QueryErrors.metricNotFound(run, filter.metrics[0]!, r);
      throw QueryErrors.rankNotFound(run, r);
    }
  }

  app.get<{ Params: { project: string; run: string }; Querystring: ExportQuery }>('/v1/projects/:project/runs/:run/export', ROUTES.export, async (req, reply) => {
    const { project, run } = req.params;
    const q = req.query;
    const format = q.format ?? 'parquet';
    if (q.from !== undefined && q.to !== undefined && q.to <= q.from) throw QueryErrors.param('to', `must be greater than from (${q.from}), got ${q.to}`);
    const metrics = list('metrics', q.metrics, MAX_EXPORT_METRICS, (s) => s);
    const ranks = list('ranks', q.ranks, MAX_EXPORT_RANKS, parseRank);
    const filter: ExportFilter = {
      ...(metrics ? { metrics } : {}), ...(ranks ? { ranks } : {}),
      ...(q.from === undefined ? {} : { from: q.from }), ...(q.to === undefined ? {} : { to: q.to }),
    };
    const lineage = await resolveLineage(run, (runs) => lineageReads.facts(project, runs),
      q.attempt === undefined ? { kind: 'effective' } : { kind: 'attempt', attempt: q.attempt });
    await check(project, run, lineage, q, filter);
    const body = await exports.stream(project, lineage.read, filter, format);
    // NOTE: a client that goes away closes the response; the export's stream is
    // then destroyed, which stops the engine's statement (fifo-stream.ts).
    reply.raw.once('close', () => { if (!body.destroyed) body.destroy(); });
    return reply
      .type(CONTENT_TYPES[format])
      .header('content-disposition', contentDisposition(run, q.attempt, format))
      .header('cache-control', 'no-store')
      .send(body);
  });
}
