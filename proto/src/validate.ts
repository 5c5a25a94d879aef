// The rules of design §2, checked on a decoded request before anything of it
// is queued: a rejected request stores nothing.
import type { DecodedIngestRequest } from './decode.js';

export type ErrorDetails = Record<string, unknown>;

export const METRIC_NAME = /^[A-Za-z0-9_./-]{1,200}$/;
export const MAX_STEP = 2 ** 53; // exclusive
const MAX_ID_BYTES = 256;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

export interface Problem {
  message: string;
  details: ErrorDetails;
}

function idProblem(field: string, v: string): Problem | null {
  if (v === '') return { message: `${field} is empty`, details: { field } };
  if (Buffer.byteLength(v) > MAX_ID_BYTES) return { message: `${field} is longer than ${MAX_ID_BYTES} bytes`, details: { field } };
  if (CONTROL.test(v)) return { message: `${field} contains a control character`, details: { field } };
  return null;
}

/** The first problem of a request, or null when it may be stored. Also returns its point count. */
export function validateRequest(req: DecodedIngestRequest): { problem: Problem | null; points: number } {
  const bad = (message: string, details: ErrorDetails) => ({ problem: { message, details }, points: 0 });
  const p = idProblem('project', req.project) ?? idProblem('run_id', req.runId);
  if (p) return { problem: p, points: 0 };
  if (req.clientId !== '' && Buffer.byteLength(req.clientId) > MAX_ID_BYTES) return bad(`client_id is longer than ${MAX_ID_BYTES} bytes`, { field: 'client_id' });
  if (req.run) {
    const r = req.run;
    if (r.status < 0 || r.status > 4) return bad(`run.status ${r.status} is not a RunStatus`, { field: 'run.status' });
    if (r.configJson !== '') {
      let parsed: unknown;
      try { parsed = JSON.parse(r.configJson); } catch (err) {
        return bad(`run.config_json is not valid JSON: ${(err as Error).message}`, { field: 'run.config_json' });
      }
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return bad('run.config_json must be a JSON object', { field: 'run.config_json' });
    }
    if (!Number.isFinite(r.startedMs) || !Number.isFinite(r.finishedMs)) return bad('run.started_ms/finished_ms out of range', { field: 'run.started_ms' });
  }
  let points = 0;
  for (let i = 0; i < req.series.length; i++) {
    const s = req.series[i]!;
    const at = { series: i, metric: s.metric };
    if (!METRIC_NAME.test(s.metric)) {
      return bad(`series[${i}].metric ${JSON.stringify(s.metric)} must match [A-Za-z0-9_./-]{1,200}`, { ...at, field: 'metric' });
    }
    if (s.rank < -1) return bad(`series[${i}].rank ${s.rank} is below -1 (-1 means the run as a whole)`, { ...at, field: 'rank', value: s.rank });
    const n = s.steps.length;
    if (s.values.length !== n) return bad(`series[${i}] (${s.metric}) has ${n} steps but ${s.values.length} values`, { ...at, field: 'values', steps: n, values: s.values.length });
    if (s.timeMs.length !== 0 && s.timeMs.length !== n) {
      return bad(`series[${i}] (${s.metric}) has ${n} steps but ${s.timeMs.length} time_ms (send none or one per step)`, { ...at, field: 'time_ms', steps: n, time_ms: s.timeMs.length });
    }
    const steps = s.steps;
    for (let j = 0; j < n; j++) {
      const step = steps[j]!;
      // NaN here is a step the decoder could not hold exactly (beyond ±2^53).
      if (!(step >= 0 && step < MAX_STEP)) {
        return bad(`series[${i}] (${s.metric}) step at index ${j} is ${Number.isNaN(step) ? 'beyond 2^53' : step}; steps must be in [0, 2^53)`, { ...at, field: 'steps', index: j });
      }
    }
    for (let j = 0; j < s.timeMs.length; j++) {
      if (Number.isNaN(s.timeMs[j]!)) return bad(`series[${i}] (${s.metric}) time_ms at index ${j} is beyond 2^53`, { ...at, field: 'time_ms', index: j });
    }
    points += n;
  }
  return { problem: null, points };
}
