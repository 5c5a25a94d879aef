// A stored run as the API answers it. Nothing stored can make this fail: a
// free-form field too large to answer, or a config that is not a sane JSON
// object, is answered as null with `<field>_error` saying why.
import type { RunRow } from '@stepstream/storage';

const STATUS = ['running', 'running', 'finished', 'failed', 'crashed'] as const;

/** Bytes of each free-form field (name, config, tags, meta) a run list answers per run. */
export const LIST_FIELD_BYTES = 64 * 1024;
/** Bytes of each free-form field GET /runs/:run answers. */
export const RUN_FIELD_BYTES = 4 * 1024 * 1024;
/** Deepest nesting of arrays and objects a config is answered with. */
export const MAX_CONFIG_DEPTH = 256;

export type FieldProblem = 'too_large' | 'too_deep' | 'not_json' | 'not_object';
export interface FieldError { reason: FieldProblem; message: string; limit?: number }

type Field = 'name' | 'config' | 'tags' | 'meta';

/** Whether JSON text nests arrays/objects deeper than `limit` (strings skipped). */
export function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) { if (++depth > limit) return true; }
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

/** The config answered, or why not. No config sent is `{}`. */
function parseConfig(json: string): { config: Record<string, unknown> } | FieldError {
  if (!json) return { config: {} };
  // NOTE: JSON.parse takes any depth, but JSON.stringify (the reply) recurses
  // and a 200 KB config nested 100,000 deep overflows the stack: refuse it first.
  if (nestsDeeperThan(json, MAX_CONFIG_DEPTH)) {
    return { reason: 'too_deep', limit: MAX_CONFIG_DEPTH, message: `config_json nests deeper than ${MAX_CONFIG_DEPTH} levels` };
  }
  let v: unknown;
  try { v = JSON.parse(json); } catch (err) {
    return { reason: 'not_json', message: `config_json is not valid JSON: ${(err as Error).message}` };
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return { reason: 'not_object', message: 'config_json is not a JSON object' };
  return { config: v as Record<string, unknown> };
}

/** `limit`: the field bytes this read answered (LIST_FIELD_BYTES or RUN_FIELD_BYTES). */
export function runView(r: RunRow, limit: number) {
  const errors: Partial<Record<`${Field}_error`, FieldError>> = {};
  const tooLarge = (field: Field): boolean => {
    const bytes = r.bytes[field];
    if (bytes <= limit) return false;
    const more = limit < RUN_FIELD_BYTES ? `; GET /runs/:run answers up to ${RUN_FIELD_BYTES}` : '';
    errors[`${field}_error`] = { reason: 'too_large', limit, message: `${field} is ${bytes} bytes, over the ${limit} this read answers${more}` };
    return true;
  };
  let config: Record<string, unknown> | null = null;
  if (!tooLarge('config')) {
    const parsed = parseConfig(r.config_json);
    if ('config' in parsed) config = parsed.config;
    else errors.config_error = parsed;
  }
  return {
    id: r.id,
    name: tooLarge('name') ? null : r.name || r.id,
    status: STATUS[r.status] ?? 'running',
    tags: tooLarge('tags') ? null : r.tags,
    config,
    meta: tooLarge('meta') ? null : r.meta,
    started_ms: r.started_ms || null,
    finished_ms: r.finished_ms || null,
    last_step: r.last_step,
    metric_count: r.metric_count,
    ...errors,
  };
}
