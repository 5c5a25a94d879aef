// The rules of design §2, checked on a decoded request before anything of it
// is queued: a rejected request stores nothing.
import type { DecodedIngestRequest } from './decoded-request.js';
import {
  MAX_ABS_VALUE, MAX_CONFIG_BYTES, MAX_CONFIG_DEPTH, MAX_ID_BYTES, MAX_META_KEY_BYTES, MAX_META_VALUE_BYTES, MAX_METRIC_CHARS, MAX_TAG_BYTES,
} from './limits.js';

export type ErrorDetails = Record<string, unknown>;

const METRIC_CHARS = '[A-Za-z0-9_./-]';
export const METRIC_NAME = new RegExp(`^${METRIC_CHARS}{1,${MAX_METRIC_CHARS}}$`);
export const MAX_STEP = 2 ** 53; // exclusive
/** A character no id may hold (idProblem; proto scan.ts takes the ASCII ones outside it). */
// eslint-disable-next-line no-control-regex
export const CONTROL = /[\u0000-\u001f\u007f]/;

export interface Problem {
  message: string;
  details: ErrorDetails;
}

function idProblem(field: string, v: string): Problem | null {
  if (v === '') return { message: `${field} is empty`, details: { field } };
  if (Buffer.byteLength(v) > MAX_ID_BYTES) return { message: `${field} is longer than ${MAX_ID_BYTES} bytes`, details: { field, limit: MAX_ID_BYTES } };
  if (CONTROL.test(v)) return { message: `${field} contains a control character`, details: { field } };
  return null;
}

/** A step-valued field of RunInfo (resume_step, fork_step): null (not sent) or a step as `steps` take them. */
function stepProblem(field: string, v: number | null): Problem | null {
  // NaN here is an int64 the decoder could not hold exactly (beyond ±2^53).
  if (v === null || (v >= 0 && v < MAX_STEP)) return null;
  return { message: `${field} is ${Number.isNaN(v) ? 'beyond 2^53' : v}; steps must be in [0, 2^53)`, details: { field } };
}

/**
 * True when objects and arrays nest deeper than `max` in a JSON text.
 * NOTE: a scan, not a parse: a document nested 100,000 deep costs one pass.
 */
function nestedDeeper(json: string, max: number): boolean {
  let depth = 0, inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) { if (++depth > max) return true; }
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

function runProblem(r: NonNullable<DecodedIngestRequest['run']>): Problem | null {
  const bad = (message: string, details: ErrorDetails): Problem => ({ message, details });
  if (r.status < 0 || r.status > 4) return bad(`run.status ${r.status} is not a RunStatus`, { field: 'run.status' });
  if (r.configJson !== '') {
    const field = 'run.config_json';
    if (Buffer.byteLength(r.configJson) > MAX_CONFIG_BYTES) return bad(`${field} is larger than ${MAX_CONFIG_BYTES} bytes`, { field, limit: MAX_CONFIG_BYTES });
    if (nestedDeeper(r.configJson, MAX_CONFIG_DEPTH)) return bad(`${field} nests objects and arrays deeper than ${MAX_CONFIG_DEPTH} levels`, { field, limit: MAX_CONFIG_DEPTH });
    let parsed: unknown;
    try { parsed = JSON.parse(r.configJson); } catch (err) {
      return bad(`${field} is not valid JSON: ${(err as Error).message}`, { field });
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return bad(`${field} must be a JSON object`, { field });
  }
  if (!Number.isFinite(r.startedMs) || !Number.isFinite(r.finishedMs)) return bad('run.started_ms/finished_ms out of range', { field: 'run.started_ms' });
  const lineage = stepProblem('run.resume_step', r.resumeStep) ?? stepProblem('run.fork_step', r.forkStep)
    ?? (r.forkOf === '' ? null : idProblem('run.fork_of', r.forkOf));
  if (lineage) return lineage;
  for (let i = 0; i < r.tags.length; i++) {
    if (Buffer.byteLength(r.tags[i]!) > MAX_TAG_BYTES) return bad(`run.tags[${i}] is longer than ${MAX_TAG_BYTES} bytes`, { field: 'run.tags', index: i, limit: MAX_TAG_BYTES });
  }
  for (const key in r.meta) {
    if (Buffer.byteLength(key) > MAX_META_KEY_BYTES) return bad(`run.meta key ${JSON.stringify(key.slice(0, 40))}... is longer than ${MAX_META_KEY_BYTES} bytes`, { field: 'run.meta', limit: MAX_META_KEY_BYTES });
    if (Buffer.byteLength(r.meta[key]!) > MAX_META_VALUE_BYTES) return bad(`run.meta[${JSON.stringify(key)}] is longer than ${MAX_META_VALUE_BYTES} bytes`, { field: 'run.meta', key, limit: MAX_META_VALUE_BYTES });
  }
  return null;
}

/**
 * Metric names known to match METRIC_NAME, at most 4,096 (the oldest dropped
 * first). NOTE: the same names come in every request; the test per series was
 * 5-8 µs of a 100-series request in the gateway's profile.
 */
const goodNames = new Set<string>();

function goodName(metric: string): boolean {
  if (!METRIC_NAME.test(metric)) return false;
  if (goodNames.size >= 4096) goodNames.delete(goodNames.values().next().value!);
  goodNames.add(metric);
  return true;
}

/** The first problem of a request, or null when it may be stored. Also returns its point count. */
export function validateRequest(req: DecodedIngestRequest): { problem: Problem | null; points: number } {
  const bad = (message: string, details: ErrorDetails) => ({ problem: { message, details }, points: 0 });
  const p = idProblem('project', req.project) ?? idProblem('run_id', req.runId);
  if (p) return { problem: p, points: 0 };
  if (req.clientId !== '' && Buffer.byteLength(req.clientId) > MAX_ID_BYTES) return bad(`client_id is longer than ${MAX_ID_BYTES} bytes`, { field: 'client_id' });
  const runP = req.run ? runProblem(req.run) : null;
  if (runP) return { problem: runP, points: 0 };
  let points = 0;
  for (let i = 0; i < req.series.length; i++) {
    const s = req.series[i]!;
    const at = { series: i, metric: s.metric };
    if (!goodNames.has(s.metric) && !goodName(s.metric)) {
      return bad(`series[${i}].metric ${JSON.stringify(s.metric)} must match ${METRIC_CHARS}{1,${MAX_METRIC_CHARS}}`, { ...at, field: 'metric' });
    }
    if (s.rank < -1) return bad(`series[${i}].rank ${s.rank} is below -1 (-1 means the run as a whole)`, { ...at, field: 'rank', value: s.rank });
    const n = s.steps.length;
    if (s.values.length !== n) return bad(`series[${i}] (${s.metric}) has ${n} steps but ${s.values.length} values`, { ...at, field: 'values', steps: n, values: s.values.length });
    if (s.timeMs.length !== 0 && s.timeMs.length !== n) {
      return bad(`series[${i}] (${s.metric}) has ${n} steps but ${s.timeMs.length} time_ms (send none or one per step)`, { ...at, field: 'time_ms', steps: n, time_ms: s.timeMs.length });
    }
    const steps = s.steps, values = s.values;
    for (let j = 0; j < n; j++) {
      const step = steps[j]!;
      // NaN here is a step the decoder could not hold exactly (beyond ±2^53).
      if (!(step >= 0 && step < MAX_STEP)) {
        return bad(`series[${i}] (${s.metric}) step at index ${j} is ${Number.isNaN(step) ? 'beyond 2^53' : step}; steps must be in [0, 2^53)`, { ...at, field: 'steps', index: j });
      }
      const v = values[j]!;
      // NaN fails both comparisons; ±Infinity passes the first and is legal.
      if ((v > MAX_ABS_VALUE || v < -MAX_ABS_VALUE) && Number.isFinite(v)) {
        return bad(`series[${i}] (${s.metric}) value at index ${j} is ${v}; finite values must be within ±${MAX_ABS_VALUE} (NaN and ±Infinity are fine)`, { ...at, field: 'values', index: j, limit: MAX_ABS_VALUE });
      }
    }
    for (let j = 0; j < s.timeMs.length; j++) {
      if (Number.isNaN(s.timeMs[j]!)) return bad(`series[${i}] (${s.metric}) time_ms at index ${j} is beyond 2^53`, { ...at, field: 'time_ms', index: j });
    }
    points += n;
  }
  return { problem: null, points };
}
