// A JSON body checked against its route schema for what Fastify's validator
// lets through: a field the schema does not have (its options drop such
// fields silently) and a value of the wrong JSON type (they coerce "5" to 5,
// and a lone object to an array of it). Checked before the validator, which
// checks the rest: required fields, ranges, patterns, enums.
import type { FastifyRequest } from 'fastify';
import { QueryErrors } from './errors.js';

/** The part of JSON Schema the read routes' bodies are written in. */
export type BodySchema =
  | { type: 'object'; properties: Record<string, BodySchema>; required?: string[]; additionalProperties: false; description?: string }
  | { type: 'array'; items: BodySchema; maxItems: number; description?: string }
  | { type: 'string' | 'integer' | 'number'; description: string; [k: string]: unknown };

/** A body field as a client writes it: `queries[3].metric`; the body itself is `body`. */
export function fieldName(path: readonly (string | number)[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i ? `.${p}` : p)).join('') || 'body';
}

/** A value as an error names it (never serialised whole: it may be large or deep). */
function shown(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 64 ? `${v.slice(0, 64)}…` : v);
  if (Array.isArray(v)) return 'an array';
  return v === null ? 'null' : typeof v === 'object' ? 'an object' : String(v);
}

function check(schema: BodySchema, value: unknown, path: (string | number)[]): void {
  const name = () => fieldName(path);
  switch (schema.type) {
    case 'object': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) throw QueryErrors.param(name(), 'must be an object');
      for (const [k, v] of Object.entries(value)) {
        // NOTE: own properties only: "constructor" is no field of a schema.
        const field = Object.hasOwn(schema.properties, k) ? schema.properties[k] : undefined;
        if (!field) throw QueryErrors.param(fieldName([...path, k]), `is not a field of this body (${Object.keys(schema.properties).join(', ')} are)`);
        check(field, v, [...path, k]);
      }
      return;
    }
    case 'array':
      if (!Array.isArray(value)) throw QueryErrors.param(name(), 'must be an array');
      if (value.length > schema.maxItems) throw QueryErrors.param(name(), `must have at most ${schema.maxItems} items, got ${value.length}`, { limit: schema.maxItems });
      value.forEach((v, i) => check(schema.items, v, [...path, i]));
      return;
    case 'integer':
      if (!Number.isInteger(value)) throw QueryErrors.param(name(), `must be an integer, got ${shown(value)}`);
      return;
    case 'number':
      if (typeof value !== 'number') throw QueryErrors.param(name(), `must be a number, got ${shown(value)}`);
      return;
    case 'string':
      if (typeof value !== 'string') throw QueryErrors.param(name(), `must be a string, got ${shown(value)}`);
  }
}

/** A preValidation hook: the body's fields and types as the schema has them, else 400 SS_ERR_QUERY_PARAM naming the field. */
export function strictBody(schema: BodySchema) {
  return async (req: FastifyRequest): Promise<void> => check(schema, req.body, []);
}
