// The hostile request bodies of issue 9, hand-encoded protobuf so the bytes
// are exactly the attack (no client library tidies them up). One module for
// the memory benchmark (bench/src/memory.ts) and the hostile tests
// (test/hostile/): each attack is built once, here.
import { gzipSync } from 'node:zlib';

/** Protobuf varint of a non-negative integer below 2^64 (bigint for the large ones). */
export function varint(n: number | bigint): Buffer {
  let v = BigInt(n);
  const out: number[] = [];
  while (v >= 0x80n) { out.push(Number(v & 0x7fn) | 0x80); v >>= 7n; }
  out.push(Number(v));
  return Buffer.from(out);
}

/** A length-delimited field (wire type 2) of field number `no`. */
const lengthField = (no: number, payload: Buffer): Buffer => Buffer.concat([varint((no << 3) | 2), varint(payload.length), payload]);

/** project (1) and run_id (2) of an IngestRequest. */
const head = (project: string, runId: string) => Buffer.concat([lengthField(1, Buffer.from(project)), lengthField(2, Buffer.from(runId))]);

/** A RunInfo (3) upsert with a name and this config_json. */
const runInfo = (project: string, runId: string, configJson: string) =>
  Buffer.concat([head(project, runId), lengthField(3, Buffer.concat([lengthField(1, Buffer.from('attack')), lengthField(2, Buffer.from(configJson))]))]);

/** One series of `points` steps from `first`, values step / 7: a legal 1M-point batch. */
export function bigBatch(project: string, runId: string, metric: string, first: number, points: number): Buffer {
  const steps: Buffer[] = [];
  const values = Buffer.allocUnsafe(points * 8);
  for (let i = 0; i < points; i++) { steps.push(varint(first + i)); values.writeDoubleLE((first + i) / 7, i * 8); }
  const series = Buffer.concat([lengthField(1, Buffer.from(metric)), lengthField(3, Buffer.concat(steps)), lengthField(4, values)]);
  return Buffer.concat([head(project, runId), lengthField(4, series)]);
}

/** `series` entries of a metric name and no points (5 bytes each), gzipped: ~87 KB for 12M. */
export function emptySeriesBomb(series = 12_000_000, project = 'bomb', runId = 'r'): Buffer {
  const one = lengthField(4, lengthField(1, Buffer.from('m')));
  const body = Buffer.alloc(one.length * series);
  body.fill(one);
  return gzipSync(Buffer.concat([head(project, runId), body]));
}

/**
 * One series whose packed steps are `bytes` zero bytes (one step each) and no
 * values, gzipped: ~60 KB for 60 MB, which a decoder that trusts the field
 * turns into 8 bytes per byte before any check.
 */
export function packedZeroStepsBomb(bytes = 60_000_000, project = 'bomb', runId = 'r'): Buffer {
  const steps = Buffer.concat([varint((3 << 3) | 2), varint(bytes), Buffer.alloc(bytes)]);
  const series = lengthField(4, Buffer.concat([lengthField(1, Buffer.from('m')), steps]));
  return gzipSync(Buffer.concat([head(project, runId), series]));
}

/** run.config_json nested `depth` levels deep: {"a":[[[...]]]} (200 KB for 100,000). */
export function deepConfig(depth = 100_000, project = 'bomb', runId = 'r'): Buffer {
  return runInfo(project, runId, `{"a":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`);
}

/** run.config_json of about `bytes` bytes, flat, gzipped (a 60 MB config is ~100 KB). */
export function hugeConfig(bytes = 60_000_000, project = 'bomb', runId = 'r'): Buffer {
  return gzipSync(runInfo(project, runId, `{"blob":"${'x'.repeat(Math.max(0, bytes - 11))}"}`));
}

/**
 * A request whose project field declares a length of 2^32 + 1 and holds one
 * byte: a decoder keeping only the low 32 bits of the length reads "p".
 */
export function hugeDeclaredLength(): Buffer {
  const project = Buffer.concat([varint((1 << 3) | 2), varint(2n ** 32n + 1n), Buffer.from('p')]);
  return Buffer.concat([project, lengthField(2, Buffer.from('r'))]);
}
