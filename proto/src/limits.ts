// The bounds of one IngestRequest, in one place: the decoder, the validator,
// the HTTP server and the clients all read them from here, and docs/api.md
// lists them. A request past one gets a 4xx naming it (`details.limit`).

/** project, run_id and client_id: 1 to this many UTF-8 bytes. */
export const MAX_ID_BYTES = 256;

/** A metric name: 1 to this many characters of [A-Za-z0-9_./-] (validate.ts METRIC_NAME). */
export const MAX_METRIC_CHARS = 200;

/**
 * Longest URL path parameter the HTTP server takes (Fastify's maxParamLength):
 * an id of MAX_ID_BYTES bytes written as %XX escapes, so whatever ingest
 * accepts can be read back by id.
 */
export const MAX_ID_URL_CHARS = 3 * MAX_ID_BYTES;

/** Series in one request. Our clients cut their batches below it (and halve a batch answered 413). */
export const MAX_SERIES_PER_REQUEST = 10_000;

/** Points (steps) in one request, over all its series. */
export const MAX_POINTS_PER_REQUEST = 1_000_000;

/** run.config_json: bytes, and the deepest nesting of objects and arrays. */
export const MAX_CONFIG_BYTES = 256 * 1024;
export const MAX_CONFIG_DEPTH = 32;

/** run.tags: how many, and the bytes of each. */
export const MAX_TAGS = 256;
export const MAX_TAG_BYTES = 256;

/** run.meta: how many entries, and the bytes of a key and of a value. */
export const MAX_META_ENTRIES = 256;
export const MAX_META_KEY_BYTES = 256;
export const MAX_META_VALUE_BYTES = 16 * 1024;

/**
 * Largest magnitude of a finite value. NOTE: a rollup bucket sums its finite
 * values in a Float64 and may hold up to 2^53 points; 2^53 * 1e292 ≈ 9.0e307
 * stays below Number.MAX_VALUE (1.8e308), so no sum of accepted values can
 * overflow to Infinity and make a mean that was never sent. NaN and ±Infinity
 * are legal and counted apart (`nonfinite`).
 */
export const MAX_ABS_VALUE = 1e292;

/** What the decoder allocates for at most (counts; sizes are checked by validateRequest). */
export interface DecodeLimits {
  maxSeries: number;
  maxPoints: number;
  maxTags: number;
  maxMetaEntries: number;
}

/** The gateway's limits. */
export const INGEST_LIMITS: Readonly<DecodeLimits> = {
  maxSeries: MAX_SERIES_PER_REQUEST, maxPoints: MAX_POINTS_PER_REQUEST, maxTags: MAX_TAGS, maxMetaEntries: MAX_META_ENTRIES,
};

/** No counts bounded: for bytes that were validated before (a writer reading the queue, a client splitting its own batch). */
export const NO_LIMITS: Readonly<DecodeLimits> = { maxSeries: Infinity, maxPoints: Infinity, maxTags: Infinity, maxMetaEntries: Infinity };
