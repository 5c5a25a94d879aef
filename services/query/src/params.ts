// Query-string parsing with 400s that name the parameter.
import { QueryErrors } from './errors.js';

export type Query = Record<string, string | string[] | undefined>;

export function str(q: Query, name: string, required: true): string;
export function str(q: Query, name: string, required?: false): string | undefined;
export function str(q: Query, name: string, required = false): string | undefined {
  const v = q[name];
  if (Array.isArray(v)) throw QueryErrors.param(name, 'given more than once');
  if (v === undefined || v === '') {
    if (required) throw QueryErrors.param(name, 'is required');
    return undefined;
  }
  return v;
}

export function int(q: Query, name: string, opts: { min: number; max: number }): number | undefined {
  const v = str(q, name);
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v)) throw QueryErrors.param(name, `must be an integer, got ${JSON.stringify(v)}`);
  const n = Number(v);
  if (n < opts.min || n > opts.max) throw QueryErrors.param(name, `must be in [${opts.min}, ${opts.max}], got ${v}`);
  return n;
}

/** JSON has no NaN or infinities: they travel as the strings "NaN", "Infinity", "-Infinity". */
export function jnum(v: number): number | string {
  return Number.isFinite(v) ? v : Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
}
