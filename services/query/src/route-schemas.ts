// The read routes' parameters as JSON Schemas: Fastify validates them with its
// compiled validators (and they are what an OpenAPI document is made from).
// Every failure is a 400 SS_ERR_QUERY_PARAM naming the parameter.
import type { FastifyRequest, FastifySchema, FastifySchemaValidationError, RouteShorthandOptions } from 'fastify';
import { QueryErrors } from './errors.js';
import { fieldName, strictBody, type BodySchema } from './strict-body.js';

/** The highest step is 2^53 - 1 (ingest's rule), so an exclusive end is at most 2^53. */
export const MAX_STEP = 2 ** 53;
const MAX_POINTS = 100_000;
/** Series one POST .../series reads at most. */
export const MAX_BATCH_QUERIES = 200;
/** Runs one page of GET .../runs answers: by default, and at most. */
export const DEFAULT_RUNS_PAGE = 100;
export const MAX_RUNS_PAGE = 1000;
/** tag= parameters, and metrics of summary=, a run list takes at most. */
export const MAX_TAG_FILTERS = 16;
export const MAX_SUMMARY_METRICS = 32;

interface ParamSchema { type: 'string' | 'integer' | 'number'; description: string; [k: string]: unknown }
/** A repeatable query parameter (tag=a&tag=b). */
interface ListParamSchema { type: 'array'; items: { type: 'string'; maxLength: number }; maxItems: number; description: string }
interface ObjectSchema {
  type: 'object'; properties: Record<string, ParamSchema | ListParamSchema>; required?: string[]; additionalProperties: false;
  /** Parameters named by a prefix (config.K=V), described by `description`. */
  patternProperties?: Record<string, { type: 'string'; description: string }>;
}

// Ids are what ingest accepts: 1..256 bytes without control characters
// (maxLength counts characters, so a longer id of multi-byte ones is a 404).
const id = (what: string): ParamSchema => ({
  type: 'string', minLength: 1, maxLength: 256, pattern: '^[^\\u0000-\\u001f\\u007f]*$', description: `${what} id, as ingested (URL-encoded)`,
});

const PROJECT = { project: id('Project') };
const RUN = { ...PROJECT, run: id('Run') };

const METRIC: ParamSchema = { type: 'string', pattern: '^[A-Za-z0-9_./-]{1,200}$', description: 'Metric name, as ingested' };

const step = (description: string): ParamSchema => ({ type: 'integer', minimum: 0, maximum: MAX_STEP, description });

const RANK: ParamSchema = { type: 'integer', minimum: -1, maximum: 2 ** 31 - 1, description: 'Rank; -1 (the default) is the run as a whole' };
const FROM = step('First step of the range, inclusive; default: the series\' first step');
const TO = step('End of the range, exclusive; default: one past the series\' last step');
const POINTS: ParamSchema = { type: 'integer', minimum: 1, maximum: MAX_POINTS, description: 'Point budget: at most points + 1 buckets (default --query-points)' };
const ATTEMPT: ParamSchema = { type: 'integer', minimum: 0, maximum: 2 ** 32 - 1, description: 'Every point of this attempt of the run, superseded ones included (not with lineage)' };

const SERIES_QUERY: ObjectSchema = {
  type: 'object',
  properties: {
    metric: METRIC, rank: RANK, from: FROM, to: TO, points: POINTS,
    tier: { type: 'string', enum: ['auto', 'raw'], description: 'raw: aggregate raw points instead of a rollup tier (same answer, slower)' },
    attempt: ATTEMPT,
    lineage: { type: 'string', enum: ['effective', 'own'], description: 'own: a fork\'s own points at every step, its parent\'s history left out; default effective' },
  },
  required: ['metric'],
  additionalProperties: false,
};

/** POST /v1/projects/:project/series: several series of the project's runs, over one range and budget. */
const SERIES_BATCH_BODY: BodySchema = {
  type: 'object',
  properties: {
    queries: {
      type: 'array', maxItems: MAX_BATCH_QUERIES, description: `The series to read, answered in this order (at most ${MAX_BATCH_QUERIES})`,
      items: {
        type: 'object',
        properties: { run: { ...id('Run'), description: 'Run id, as ingested' }, metric: METRIC, rank: RANK, attempt: { ...ATTEMPT, description: 'Every point of this attempt of the run, superseded ones included' } },
        required: ['run', 'metric'],
        additionalProperties: false,
      },
    },
    from: FROM, to: TO, points: POINTS,
    x: { type: 'string', enum: ['step', 'time'], description: 'time: each answer adds time_first[] and time_last[], the time_ms of each bucket\'s first and last point; default step' },
  },
  required: ['queries'],
  additionalProperties: false,
};

const WINDOW = {
  from: step('First step of the window, inclusive; default: the first'),
  to: step('End of the window, exclusive; default: one past the last'),
};
const RANKS_QUERY: ObjectSchema = {
  type: 'object',
  properties: {
    metric: METRIC, ...WINDOW,
    sort: { type: 'string', enum: ['mean', 'max', 'min', 'last', 'count'], description: 'Sort the ranks by this figure (null keys last); default: by rank' },
    order: { type: 'string', enum: ['desc', 'asc'], description: 'Sort order (default desc); ties by rank ascending' },
    limit: { type: 'integer', minimum: 1, maximum: 2 ** 31 - 1, description: 'At most this many ranks (top-k)' },
  },
  required: ['metric'],
  additionalProperties: false,
};
const RANK_BAND_QUERY: ObjectSchema = {
  type: 'object',
  properties: { metric: METRIC, ...WINDOW, points: { type: 'integer', minimum: 1, maximum: MAX_POINTS, description: 'Point budget (default --query-points), buckets as for /series' } },
  required: ['metric'],
  additionalProperties: false,
};
const HEATMAP_QUERY: ObjectSchema = {
  type: 'object',
  properties: {
    metric: METRIC, ...WINDOW,
    points: { type: 'integer', minimum: 1, maximum: MAX_POINTS, description: 'Point budget of the step buckets (default 200)' },
    rows: { type: 'integer', minimum: 1, maximum: 4096, description: 'Rank groups at most (default 256)' },
    stat: { type: 'string', enum: ['mean', 'min', 'max'], description: 'What a cell is, over finite values (default mean)' },
  },
  required: ['metric'],
  additionalProperties: false,
};
const STRAGGLERS_QUERY: ObjectSchema = {
  type: 'object',
  properties: { metric: METRIC, ...WINDOW, k: { type: 'number', exclusiveMinimum: 0, maximum: 1e9, description: 'Robust deviations from the median a rank\'s mean must exceed (default 3.5)' } },
  required: ['metric'],
  additionalProperties: false,
};
/** GET /v1/projects/:project/runs: filter, sort and page (run-list-params.ts reads it). */
const RUNS_QUERY: ObjectSchema = {
  type: 'object',
  properties: {
    q: { type: 'string', maxLength: 256, description: 'Runs whose name or id contains this text, case-insensitively' },
    tag: { type: 'array', maxItems: MAX_TAG_FILTERS, items: { type: 'string', maxLength: 256 }, description: `Runs having every tag given (repeat the parameter; at most ${MAX_TAG_FILTERS})` },
    status: { type: 'string', enum: ['running', 'finished', 'failed', 'crashed'], description: 'Runs of this status' },
    sort: {
      type: 'string', maxLength: 220, pattern: '^-?(id|name|started_ms|last_step|summary\\.[A-Za-z0-9_./-]{1,200})$',
      description: 'id (the default), name, started_ms, last_step, or summary.METRIC (that metric\'s last value); a leading - sorts descending. Runs without the key come last either way; ties by run id',
    },
    limit: { type: 'integer', minimum: 1, maximum: MAX_RUNS_PAGE, description: `Runs per page (default ${DEFAULT_RUNS_PAGE}, at most ${MAX_RUNS_PAGE})` },
    cursor: { type: 'string', minLength: 1, maxLength: 2048, description: 'The previous page\'s next_cursor, with the same filters and sort' },
    summary: {
      type: 'string', maxLength: 4096, pattern: '^[A-Za-z0-9_./-]{1,200}(,[A-Za-z0-9_./-]{1,200})*$',
      description: `Metrics, comma-separated (at most ${MAX_SUMMARY_METRICS}): each run gains summary: {METRIC: {last, min, max} or null}`,
    },
  },
  patternProperties: {
    '^config\\.': { type: 'string', description: 'config.KEY=VALUE: runs whose config has VALUE at KEY (dotted for nested keys); a VALUE that is a JSON number, true, false or null is compared as that, else as a string' },
  },
  additionalProperties: false,
};

const NO_QUERY: ObjectSchema = { type: 'object', properties: {}, additionalProperties: false };

const object = (properties: Record<string, ParamSchema | ListParamSchema>): ObjectSchema => ({ type: 'object', properties, required: Object.keys(properties), additionalProperties: false });

const DECIMAL = /^-?\d{1,16}$/;

/**
 * What Fastify's validators cannot say, checked before them: a parameter the
 * route does not take, one given twice, an integer that is not a plain
 * decimal. NOTE: Fastify's default validator options drop unknown properties
 * silently (removeAdditional), and its coercion takes "0x10", "1e3" and " 7"
 * as integers and rounds 9007199254740993 to 2^53, which passes the maximum.
 */
function strictQuery(schema: ObjectSchema) {
  const known = new Set(Object.keys(schema.properties));
  const repeatable = new Set([...known].filter((k) => schema.properties[k]!.type === 'array'));
  const patterns = Object.keys(schema.patternProperties ?? {}).map((p) => new RegExp(p));
  const integers = [...known].filter((k) => schema.properties[k]!.type === 'integer');
  const names = [...known, ...Object.keys(schema.patternProperties ?? {}).map((p) => `${p.replace(/^\^/, '').replace(/\\/g, '')}KEY`)];
  const takes = names.length ? `it takes ${names.join(', ')}` : 'it takes none';
  return async (req: FastifyRequest): Promise<void> => {
    const q = req.query as Record<string, unknown>;
    for (const name in q) {
      const prefixed = patterns.some((p) => p.test(name));
      if (!known.has(name) && !prefixed) throw QueryErrors.param(name, `is not a parameter of this route (${takes})`);
      if (Array.isArray(q[name]) && !repeatable.has(name)) throw QueryErrors.param(name, 'given more than once');
    }
    for (const name of integers) {
      const v = q[name];
      if (typeof v === 'string' && !(DECIMAL.test(v) && String(Number(v)) === v.replace(/^(-?)0+(?=\d)/, '$1'))) {
        throw QueryErrors.param(name, `must be a decimal integer, got ${JSON.stringify(v.slice(0, 64))}`);
      }
    }
  };
}

/**
 * Fastify's schema errors (ajv's, the first only) in our error shape: a
 * query parameter by its name, a body field as `queries[3].metric`.
 */
function paramError(errors: FastifySchemaValidationError[], dataVar: string): Error {
  const e = errors[0];
  if (!e) return QueryErrors.param(dataVar, 'is not valid');
  const p = e.params as Record<string, unknown>;
  const at = e.instancePath.split('/').slice(1).map((s) => (/^\d+$/.test(s) ? Number(s) : s.replace(/~1/g, '/').replace(/~0/g, '~')));
  if (e.keyword === 'required') return QueryErrors.param(fieldName([...at, String(p['missingProperty'])]), 'is required');
  if (e.keyword === 'additionalProperties') return QueryErrors.param(fieldName([...at, String(p['additionalProperty'])]), 'is not a parameter of this route');
  const name = at.length ? fieldName(at) : dataVar;
  return QueryErrors.param(name, e.message ?? 'is not valid', typeof p['limit'] === 'number' ? { limit: p['limit'] } : {});
}

/** Route options for a read route: its path parameters and query string (and JSON body), validated strictly. */
function routeOptions(params: Record<string, ParamSchema>, querystring: ObjectSchema, body?: BodySchema): RouteShorthandOptions {
  const schema = { ...(Object.keys(params).length ? { params: object(params) } : {}), querystring, ...(body ? { body } : {}) } satisfies FastifySchema;
  return { schema, schemaErrorFormatter: paramError, preValidation: body ? [strictQuery(querystring), strictBody(body)] : strictQuery(querystring) };
}

export const ROUTES = {
  projects: routeOptions({}, NO_QUERY),
  metrics: routeOptions(PROJECT, NO_QUERY),
  seriesBatch: routeOptions(PROJECT, NO_QUERY, SERIES_BATCH_BODY),
  runs: routeOptions(PROJECT, RUNS_QUERY),
  run: routeOptions(RUN, NO_QUERY),
  ranks: routeOptions(RUN, RANKS_QUERY),
  series: routeOptions(RUN, SERIES_QUERY),
  lineage: routeOptions(RUN, NO_QUERY),
  rankBand: routeOptions(RUN, RANK_BAND_QUERY),
  rankHeatmap: routeOptions(RUN, HEATMAP_QUERY),
  stragglers: routeOptions(RUN, STRAGGLERS_QUERY),
};
