// What the read routes answer, as JSON Schemas (OpenAPI 3.1 is JSON Schema
// 2020-12): the `response` of each route's schema, so the OpenAPI document
// describes every answer. NOTE: answers are not serialised from these
// (route-schemas.ts keeps JSON.stringify), so they describe, never reshape.
// Every error answer, of any route, is the one error body.

type Schema = Record<string, unknown>;

const int: Schema = { type: 'integer' };
const str: Schema = { type: 'string' };
const intOrNull: Schema = { type: ['integer', 'null'] };
const numOrNull: Schema = { type: ['number', 'null'] };
/** A value that may be non-finite: "NaN", "Infinity" or "-Infinity" as strings. */
const value: Schema = { anyOf: [{ type: 'number' }, { type: 'string', enum: ['NaN', 'Infinity', '-Infinity'] }] };
const list = (items: Schema): Schema => ({ type: 'array', items });
const obj = (properties: Record<string, Schema>, optional: string[] = []): Schema => ({
  type: 'object', properties, required: Object.keys(properties).filter((k) => !optional.includes(k)),
});

export const ERROR_BODY: Schema = {
  ...obj({ statusCode: int, code: str, error: str, message: str, details: { type: 'object' } }, ['details']),
  description: 'Every error: the code (docs/api.md, "Every error code"), and details naming the parameter or limit where one is to blame',
};

const FIELD_ERROR = obj({ reason: { type: 'string', enum: ['too_large', 'too_deep', 'not_json', 'not_object'] }, message: str, limit: int }, ['limit']);
const FORK_OF: Schema = { anyOf: [obj({ run: str, step: int }), { type: 'null' }] };

const RUN_FIELDS: Record<string, Schema> = {
  id: str, name: { type: ['string', 'null'] }, status: { type: 'string', enum: ['running', 'finished', 'failed', 'crashed'] },
  tags: { anyOf: [list(str), { type: 'null' }] }, config: { type: ['object', 'null'] },
  meta: { anyOf: [{ type: 'object', additionalProperties: str }, { type: 'null' }] },
  started_ms: intOrNull, finished_ms: intOrNull, last_step: intOrNull, metric_count: int, attempts: int, fork_of: FORK_OF,
  name_error: FIELD_ERROR, config_error: FIELD_ERROR, tags_error: FIELD_ERROR, meta_error: FIELD_ERROR,
};
const FIELD_ERRORS = ['name_error', 'config_error', 'tags_error', 'meta_error'];

const FIGURES: Schema = { anyOf: [obj({ last: value, min: numOrNull, max: numOrNull }), { type: 'null' }] };

const RUN_IN_LIST = obj({ ...RUN_FIELDS, summary: { type: 'object', additionalProperties: FIGURES, description: 'With summary=: each metric named' } }, [...FIELD_ERRORS, 'summary']);

const RUN_DETAIL = obj({
  ...RUN_FIELDS,
  metrics: list(obj({ name: str, ranks: int, first_step: int, last_step: int, count: int, nonfinite: int, last: value, min: numOrNull, max: numOrNull })),
}, FIELD_ERRORS);

const column = (items: Schema): Schema => list(items);
/** One series view: a bucket per entry of each column. */
export const SERIES_ANSWER: Schema = obj({
  metric: str, rank: int, from: int, to: int, bucket: int, tier: int,
  x: column(int), min: column(numOrNull), max: column(numOrNull), mean: column(numOrNull), first: column(value), last: column(value),
  count: column(int), nonfinite: column(int), time_first: column(int), time_last: column(int),
}, ['time_first', 'time_last']);

const LINEAGE = obj({
  run: str, fork_of: FORK_OF, cut: { type: ['string', 'null'], enum: [null, 'loop', 'too deep'] },
  attempts: list(obj({ attempt: int, start_step: intOrNull, first_step: intOrNull, last_step: intOrNull, points: int })),
  segments: list(obj({ run: str, attempt: int, from: int, to: intOrNull })),
});

const RANKS = obj({
  metric: str,
  ranks: list(obj({ rank: int, first_step: int, last_step: int, count: int, nonfinite: int, last: value, min: numOrNull, max: numOrNull, mean: numOrNull })),
});
const RANK_BAND = obj({
  metric: str, from: int, to: int, bucket: int, x: column(int), min: column(numOrNull), max: column(numOrNull), mean: column(numOrNull),
  count: column(int), nonfinite: column(int), min_rank: column(intOrNull), max_rank: column(intOrNull), ranks: column(int),
});
const HEATMAP = obj({ metric: str, bucket: int, group: int, x: column(int), row_first_rank: column(int), cells: list(list(numOrNull)) });
const STRAGGLERS = obj({ metric: str, median: numOrNull, mad: numOrNull, ranks: list({ type: 'object', properties: { rank: int }, required: ['rank'] }) });

/** The error answers a read route may give (with API keys on: 401 and 403 first). */
const READ_ERRORS = [400, 401, 403, 404, 422, 429, 503] as const;

const ok = (schema: Schema, description: string) => {
  const out: Record<number, Schema> = { 200: { ...schema, description } };
  for (const status of READ_ERRORS) out[status] = { ...ERROR_BODY, description: ERROR_DESCRIPTIONS[status] };
  return out;
};

export const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'A parameter missing, unknown, repeated or out of range (details.param names it), or a bad body',
  401: 'API keys are configured and the request has no valid key (Authorization: Bearer <key>)',
  403: 'The key may not read (or write) this project',
  404: 'No such project, run, metric or attempt',
  413: 'The body is over its limit',
  415: 'Not a protobuf body (or an encoding other than gzip)',
  422: 'The read ran past --query-timeout-ms and was stopped',
  429: 'The project has as many reads (or queued points) as it may: retry after Retry-After',
  503: 'The store\'s read queue (or the ingest queue) is full, or the server is draining: retry after Retry-After',
};

export const RESPONSES = {
  projects: ok(obj({ projects: list(obj({ name: str, runs: int, last_ingest_ms: intOrNull })) }), 'Every project with a run, by name'),
  metrics: ok(obj({ metrics: list(obj({ name: str, runs: int })) }), 'Every metric of the project with the runs that have effective points of it'),
  seriesBatch: ok(obj({ series: list({ anyOf: [SERIES_ANSWER, ERROR_BODY] }) }), 'One answer per query, in order: a series, or the error GET .../series would answer'),
  runs: ok(obj({ runs: list(RUN_IN_LIST), next_cursor: { type: ['string', 'null'] } }), 'One page of runs; next_cursor null on the last'),
  run: ok(RUN_DETAIL, 'The run and its metrics over the effective history'),
  ranks: ok(RANKS, 'Each rank\'s summary of the metric'),
  series: ok(SERIES_ANSWER, 'The series in buckets'),
  lineage: ok(LINEAGE, 'The run\'s attempts and effective segments'),
  rankBand: ok(RANK_BAND, 'Min, mean and max across ranks per bucket'),
  rankHeatmap: ok(HEATMAP, 'Rank groups × step buckets'),
  stragglers: ok(STRAGGLERS, 'Ranks whose mean is far from the median'),
  export: exportAnswer(),
};

/** The export's 200: a file, in the format asked for (export-route.ts sets the type). */
function exportAnswer(): Record<number, Schema> {
  // NOTE: OpenAPI 3.1 names a file by its media type (contentMediaType), not `format: binary`.
  const file = (type: string) => ({ schema: { type: 'string', contentMediaType: type } });
  return {
    ...ok({}, ''),
    200: {
      description: 'Every effective raw point (metric, rank, step, value, time_ms), streamed as the engine writes it',
      content: { 'application/vnd.apache.parquet': file('application/vnd.apache.parquet'), 'application/vnd.apache.arrow.stream': file('application/vnd.apache.arrow.stream'), 'text/csv': file('text/csv') },
    },
  };
}
