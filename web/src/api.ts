// The API client: one function per endpoint, the only place that builds URLs.
// Transient failures (no connection, 502/503/504, 429) are retried with a
// capped backoff while `onStatus` tells the page (the server-down banner);
// 401/403 raise ApiError so the page can ask for a key.
import type { Lineage, RangeQuery, RankBand, RankHeatmap, RankList, Stragglers } from './lineage-ranks-types.js';
import { storedKey } from './stored-key.js';
import type { ErrorBody, Project, RunDetail, RunPage, SeriesEntry, SeriesRequest } from './types.js';

export class ApiError extends Error {
  constructor(readonly status: number, readonly body: ErrorBody) { super(body.message); }
  get code(): string { return this.body.code; }
}

export type ConnectionStatus = { kind: 'ok' } | { kind: 'down'; retryInMs: number; reason: string };

export interface ApiOptions {
  base?: string;
  key: () => string | null;
  onStatus: (s: ConnectionStatus) => void;
  /** Backoff of retries, in ms: doubled from `minRetryMs` to at most `maxRetryMs`. */
  minRetryMs?: number;
  maxRetryMs?: number;
}

/** Filters, sort and paging of GET /runs (the names the route takes). */
export interface RunQuery {
  q?: string; tags?: string[]; status?: string; config?: [string, string][]; sort?: string; limit?: number; cursor?: string; summary?: string[];
}

const TRANSIENT = new Set([429, 502, 503, 504]);

export class Api {
  private readonly base: string;
  constructor(private readonly opts: ApiOptions) { this.base = opts.base ?? ''; }

  projects(signal?: AbortSignal): Promise<{ projects: Project[] }> { return this.get('/v1/projects', signal); }

  runs(project: string, q: RunQuery, signal?: AbortSignal): Promise<RunPage> {
    const p = new URLSearchParams();
    if (q.q) p.set('q', q.q);
    for (const t of q.tags ?? []) p.append('tag', t);
    if (q.status) p.set('status', q.status);
    for (const [k, v] of q.config ?? []) p.append(`config.${k}`, v);
    if (q.sort) p.set('sort', q.sort);
    if (q.limit !== undefined) p.set('limit', String(q.limit));
    if (q.cursor) p.set('cursor', q.cursor);
    if (q.summary?.length) p.set('summary', q.summary.join(','));
    const qs = p.toString();
    return this.get(`${projectPath(project)}/runs${qs ? `?${qs}` : ''}`, signal);
  }

  run(project: string, run: string, signal?: AbortSignal): Promise<RunDetail> {
    return this.get(`${projectPath(project)}/runs/${encodeURIComponent(run)}`, signal);
  }

  metrics(project: string, signal?: AbortSignal): Promise<{ metrics: { name: string; runs: number }[] }> {
    return this.get(`${projectPath(project)}/metrics`, signal);
  }

  series(project: string, body: SeriesRequest, signal?: AbortSignal): Promise<{ series: SeriesEntry[] }> {
    return this.send(`${projectPath(project)}/series`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }, signal);
  }

  lineage(project: string, run: string, signal?: AbortSignal): Promise<Lineage> {
    return this.get(`${runPath(project, run)}/lineage`, signal);
  }

  /** GET /ranks/series: the band across ranks. */
  rankBand(project: string, run: string, q: RangeQuery, signal?: AbortSignal): Promise<RankBand> {
    return this.get(`${runPath(project, run)}/ranks/series?${params(q)}`, signal);
  }

  rankHeatmap(project: string, run: string, q: RangeQuery & { rows?: number; stat?: string }, signal?: AbortSignal): Promise<RankHeatmap> {
    return this.get(`${runPath(project, run)}/ranks/heatmap?${params(q)}`, signal);
  }

  /** GET /ranks: per-rank figures, sorted and cut to the top k when asked. */
  rankList(project: string, run: string, q: RangeQuery & { sort?: string; order?: string; limit?: number }, signal?: AbortSignal): Promise<RankList> {
    return this.get(`${runPath(project, run)}/ranks?${params(q)}`, signal);
  }

  rankStragglers(project: string, run: string, q: RangeQuery & { k?: number }, signal?: AbortSignal): Promise<Stragglers> {
    return this.get(`${runPath(project, run)}/ranks/stragglers?${params(q)}`, signal);
  }

  private get<T>(path: string, signal?: AbortSignal): Promise<T> { return this.send(path, { method: 'GET' }, signal); }

  private async send<T>(path: string, init: RequestInit, signal?: AbortSignal): Promise<T> {
    let wait = this.opts.minRetryMs ?? 500;
    for (;;) {
      const headers = new Headers(init.headers);
      const key = this.opts.key();
      if (key) headers.set('authorization', `Bearer ${key}`);
      let res: Response | null = null;
      let reason = '';
      try {
        res = (await takeEarly(this.base + path, init, key)) ?? await fetch(this.base + path, { ...init, headers, ...(signal ? { signal } : {}) });
      } catch (err) {
        if (signal?.aborted) throw err;
        reason = 'the server cannot be reached';
      }
      if (res && !TRANSIENT.has(res.status)) {
        this.opts.onStatus({ kind: 'ok' });
        const body = await res.json().catch(() => null) as unknown;
        if (!res.ok) throw new ApiError(res.status, asErrorBody(res, body));
        return body as T;
      }
      if (res) {
        reason = `the server answered ${res.status}`;
        const after = Number(res.headers.get('retry-after'));
        if (after > 0) wait = Math.max(wait, after * 1000);
      }
      this.opts.onStatus({ kind: 'down', retryInMs: wait, reason });
      await sleep(wait, signal);
      wait = Math.min(wait * 2, this.opts.maxRetryMs ?? 8000);
    }
  }
}

/**
 * A GET the page asked for before this script ran (index.html: the picked
 * runs' details and lineages), taken once; only a 200 made with the key used
 * now counts, anything else is asked for again as usual.
 */
async function takeEarly(url: string, init: RequestInit, key: string | null): Promise<Response | null> {
  const early = (globalThis as { __stepstreamEarly?: Record<string, Promise<Response>> }).__stepstreamEarly;
  const got = early?.[url];
  if (!got || (init.method ?? 'GET') !== 'GET') return null;
  delete early[url];
  if (key !== storedKey()) return null;
  const res = await got.catch(() => null);
  return res?.status === 200 ? res : null;
}

function projectPath(project: string): string { return `/v1/projects/${encodeURIComponent(project)}`; }
function runPath(project: string, run: string): string { return `${projectPath(project)}/runs/${encodeURIComponent(run)}`; }

/** Query parameters of the defined fields. */
function params(q: object): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== null) p.set(k, String(v));
  return p.toString();
}

function asErrorBody(res: Response, body: unknown): ErrorBody {
  if (body && typeof body === 'object' && 'message' in body) return body as ErrorBody;
  return { statusCode: res.status, code: 'HTTP_' + res.status, error: res.statusText, message: `${res.status} ${res.statusText}` };
}

/** Waits `ms`, or rejects when `signal` aborts (a retry nobody wants any more). */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => { clearTimeout(t); reject(signal.reason); }, { once: true });
  });
}
