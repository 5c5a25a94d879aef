// Bodies of the hostile ingest requests reported in issue 9, one function each,
// shared by test/hostile/ingest.test.ts and the memory benchmark in bench/.
// Each returns the bytes to POST (gzipped where the attack relies on it, with
// `gzip: true` to say so).
import { gzipSync } from 'node:zlib';
import { encodeRequest, type TestRequest } from '../support/requests.js';

export interface AttackBody { body: Buffer; gzip: boolean }

/** Protobuf varint of a non-negative integer below 2^64 (bigint for the large ones). */
export function varint(n: number | bigint): Buffer {
  let v = BigInt(n);
  const out: number[] = [];
  while (v >= 0x80n) { out.push(Number(v & 0x7fn) | 0x80); v >>= 7n; }
  out.push(Number(v));
  return Buffer.from(out);
}

/** A length-delimited field (wire type 2) of field number `field`. */
function lengthField(field: number, payload: Buffer): Buffer {
  return Buffer.concat([varint((field << 3) | 2), varint(payload.length), payload]);
}

/** `series` entries of a metric name and no points: 5 bytes each, ~87 KB gzipped for 12M. */
export function emptySeriesBomb(series = 12_000_000, project = 'p', runId = 'r'): AttackBody {
  const one = lengthField(4, lengthField(1, Buffer.from('m')));
  const body = Buffer.alloc(one.length * series);
  body.fill(one);
  return { body: gzipSync(Buffer.concat([encodeRequest({ project, runId }), body])), gzip: true };
}

/**
 * One series whose packed steps are `bytes` zero bytes (one step each) and
 * no values: ~60 KB gzipped for 60 MB, which a decoder that trusts the field
 * turns into 8 bytes per byte before any check.
 */
export function packedZeroStepsBomb(bytes = 60_000_000, project = 'p', runId = 'r'): AttackBody {
  const steps = Buffer.concat([varint((3 << 3) | 2), varint(bytes), Buffer.alloc(bytes)]);
  const series = lengthField(4, Buffer.concat([lengthField(1, Buffer.from('m')), steps]));
  return { body: gzipSync(Buffer.concat([encodeRequest({ project, runId }), series])), gzip: true };
}

/** run.config_json nested `depth` levels deep: {"a":[[[...]]]} (200 KB for 100,000). */
export function deepConfig(depth = 100_000, project = 'p', runId = 'r'): AttackBody {
  const configJson = `{"a":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`;
  return { body: encodeRequest({ project, runId, run: { configJson } }), gzip: false };
}

/** run.config_json of about `bytes` bytes, flat (gzipped: a 60 MB config is ~100 KB). */
export function hugeConfig(bytes = 60_000_000, project = 'p', runId = 'r'): AttackBody {
  const configJson = `{"blob":"${'x'.repeat(Math.max(0, bytes - 11))}"}`;
  return { body: gzipSync(encodeRequest({ project, runId, run: { configJson } })), gzip: true };
}

/**
 * A request whose project field declares a length of 2^32 + 1 and holds one
 * byte: a decoder keeping only the low 32 bits of the length reads "p" and
 * accepts it.
 */
export function hugeDeclaredLength(): AttackBody {
  const project = Buffer.concat([varint(1 << 3 | 2), varint(2n ** 32n + 1n), Buffer.from('p')]);
  return { body: Buffer.concat([project, lengthField(2, Buffer.from('r'))]), gzip: false };
}

/** Ids that begin with a byte-order mark: stored as sent, distinct from the ids without it. */
export function bomIds(): TestRequest {
  return { project: '\uFEFFp', runId: '\uFEFFr', series: [{ metric: 'm', steps: [0], values: [1] }] };
}

/** A run whose meta has the key `__proto__` (dropped when meta is a plain object). */
export function protoMetaKey(project = 'p', runId = 'r'): TestRequest {
  return { project, runId, run: { name: 'x', meta: { ['__proto__']: 'kept', host: 'h' } as Record<string, string> }, series: [] };
}

/** Three values of 1e308 in one bucket: their sum overflows a double. */
export function overflowingValues(project = 'p', runId = 'r'): TestRequest {
  return { project, runId, series: [{ metric: 'm', steps: [0, 1, 2], values: [1e308, 1e308, 1e308] }] };
}

/** An id of exactly `bytes` UTF-8 bytes, multi-byte characters included ("é" is 2 bytes, "€" 3). */
export function longId(bytes = 256): string {
  const head = 'é€-'.repeat(Math.floor(bytes / 6)); // 6 bytes each
  return head + 'x'.repeat(bytes - Buffer.byteLength(head));
}
