// The server's bounds on one request that this client cuts its batches
// below. NOTE: the server's own values live in proto/src/limits.ts, a
// package that is not published; test/published-package.test.ts checks
// that these are equal to them, so a change there fails until made here too.

/** Series in one request. */
export const MAX_SERIES_PER_REQUEST = 10_000;

/** Points (steps) in one request, over all its series. */
export const MAX_POINTS_PER_REQUEST = 1_000_000;

/** run.config_json as JSON, bytes. */
export const MAX_CONFIG_BYTES = 256 * 1024;

/** Objects and arrays nested in run.config_json. */
export const MAX_CONFIG_DEPTH = 32;
