// GET /v1/projects/:project/runs: its query string as a list to read, and the
// cursor that carries a list from one page to the next (opaque to clients:
// base64url JSON naming the list it belongs to).
import { createHash } from 'node:crypto';
import type { ConfigMatch, RunFilter, RunSortBy } from '@stepstream/storage';
import { QueryErrors } from './errors.js';
import { DEFAULT_RUNS_PAGE, MAX_SUMMARY_METRICS } from './route-schemas.js';

/** Stored status codes of each status name (0: none sent, which reads as running). */
const STATUS_CODES: Record<string, number[]> = { running: [0, 1], finished: [2], failed: [3], crashed: [4] };

/** config.K=V filters a list takes at most, and the segments of a dotted key. */
export const MAX_CONFIG_FILTERS = 16;
export const MAX_CONFIG_DEPTH = 16;

export interface RunListSpec {
  filter: RunFilter;
  sort: RunSortBy;
  desc: boolean;
  limit: number;
  /** Metrics of summary=, in the order given, without repeats. */
  summary: string[];
  cursor?: string;
  /** Names the filters and sort, so a cursor is refused with others. */
  fingerprint: string;
}

/** Where a page ends: a keyset position (RunInfo keys) or a position in a stored snapshot (keys read from points). */
export type RunCursor =
  | { kind: 'keyset'; asOf: number; hasKey: boolean; key: string | number; id: string }
  | { kind: 'snapshot'; snapshot: string; pos: number };

/** A config value as the filter compares it: a JSON number, true, false or null as that, anything else as the text given. */
export function configValue(text: string): ConfigMatch['value'] {
  let v: unknown;
  try { v = JSON.parse(text); } catch { return text; }
  if (v === null || typeof v === 'boolean') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  return text;
}

function parseSort(text: string | undefined): { sort: RunSortBy; desc: boolean } {
  if (text === undefined) return { sort: { by: 'id' }, desc: false };
  const desc = text.startsWith('-');
  const name = desc ? text.slice(1) : text;
  if (name.startsWith('summary.')) return { sort: { by: 'summary', metric: name.slice('summary.'.length) }, desc };
  return { sort: { by: name as 'id' | 'name' | 'started_ms' | 'last_step' }, desc };
}

/** The validated query string (route-schemas.ts checked each parameter's form) as a list to read. */
export function runListSpec(query: Record<string, unknown>): RunListSpec {
  const config: ConfigMatch[] = [];
  for (const [name, raw] of Object.entries(query)) {
    if (!name.startsWith('config.')) continue;
    const path = name.slice('config.'.length).split('.');
    if (path.some((k) => k === '')) throw QueryErrors.param(name, 'names an empty key: a config key is dotted segments, each non-empty');
    if (path.length > MAX_CONFIG_DEPTH) throw QueryErrors.param(name, `nests ${path.length} keys deep, more than ${MAX_CONFIG_DEPTH}`, { limit: MAX_CONFIG_DEPTH });
    config.push({ path, value: configValue(String(raw)) });
  }
  if (config.length > MAX_CONFIG_FILTERS) throw QueryErrors.param('config', `${config.length} config filters, more than ${MAX_CONFIG_FILTERS}`, { limit: MAX_CONFIG_FILTERS });
  config.sort((a, b) => (a.path.join('.') < b.path.join('.') ? -1 : 1));
  const status = query['status'] as string | undefined;
  const tags = [...new Set((query['tag'] as string[] | undefined) ?? [])].sort();
  const filter: RunFilter = {
    ...(query['q'] === undefined ? {} : { q: String(query['q']) }), tags, config,
    ...(status === undefined ? {} : { statuses: STATUS_CODES[status]! }),
  };
  const summary = query['summary'] === undefined ? [] : [...new Set(String(query['summary']).split(','))];
  if (summary.length > MAX_SUMMARY_METRICS) throw QueryErrors.param('summary', `names ${summary.length} metrics, more than ${MAX_SUMMARY_METRICS}`, { limit: MAX_SUMMARY_METRICS });
  const { sort, desc } = parseSort(query['sort'] as string | undefined);
  const fingerprint = createHash('sha256').update(JSON.stringify([filter, sort, desc])).digest('base64url').slice(0, 16);
  return {
    filter, sort, desc, summary, fingerprint,
    limit: query['limit'] === undefined ? DEFAULT_RUNS_PAGE : Number(query['limit']),
    ...(query['cursor'] === undefined ? {} : { cursor: String(query['cursor']) }),
  };
}

export function encodeCursor(spec: RunListSpec, c: RunCursor): string {
  const body = c.kind === 'keyset' ? { f: spec.fingerprint, a: c.asOf, h: c.hasKey ? 1 : 0, k: c.key, i: c.id } : { f: spec.fingerprint, s: c.snapshot, p: c.pos };
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

const badCursor = (why: string) => QueryErrors.param('cursor', why);

/** The cursor a previous page of this list gave, or a 400 naming why not. */
export function decodeCursor(spec: RunListSpec, text: string): RunCursor {
  let c: Record<string, unknown>;
  try {
    const v: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
    c = v as Record<string, unknown>;
  } catch {
    throw badCursor('is not a cursor of this API: pass the next_cursor of the previous page as it was given');
  }
  if (c['f'] !== spec.fingerprint) throw badCursor('belongs to a list with other filters or another sort: a cursor pages only the list that gave it');
  if (typeof c['s'] === 'string' && Number.isSafeInteger(c['p']) && (c['p'] as number) >= 0) return { kind: 'snapshot', snapshot: c['s'], pos: c['p'] as number };
  const key = c['k'];
  if (Number.isSafeInteger(c['a']) && (c['h'] === 0 || c['h'] === 1) && typeof c['i'] === 'string' && (typeof key === 'string' || (typeof key === 'number' && Number.isFinite(key)))) {
    return { kind: 'keyset', asOf: c['a'] as number, hasKey: c['h'] === 1, key, id: c['i'] };
  }
  throw badCursor('is not a cursor of this API: pass the next_cursor of the previous page as it was given');
}
