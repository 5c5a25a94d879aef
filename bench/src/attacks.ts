// Request bodies of the memory attacks (issue 9), hand-encoded protobuf so the
// bytes are exactly the attack: no client library tidies them up.
import { gzipSync } from 'node:zlib';

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 127) { out.push((n % 128) | 128); n = Math.floor(n / 128); }
  out.push(n);
  return Buffer.from(out);
}

/** Field `no` as length-delimited bytes. */
const field = (no: number, bytes: Buffer) => Buffer.concat([varint((no << 3) | 2), varint(bytes.length), bytes]);
const head = (project: string, run: string) => Buffer.concat([field(1, Buffer.from(project)), field(2, Buffer.from(run))]);

/** One series of `points` steps from `first`, values step / 7: a legal 1M-point batch. */
export function bigBatch(project: string, run: string, metric: string, first: number, points: number): Buffer {
  const steps: Buffer[] = [];
  const values = Buffer.allocUnsafe(points * 8);
  for (let i = 0; i < points; i++) { steps.push(varint(first + i)); values.writeDoubleLE((first + i) / 7, i * 8); }
  const series = Buffer.concat([field(1, Buffer.from(metric)), field(3, Buffer.concat(steps)), field(4, values)]);
  return Buffer.concat([head(project, run), field(4, series)]);
}

/** `count` empty Series (two bytes each), gzipped: 12M of them are ~87 KB on the wire. */
export function emptySeriesBomb(count = 12_000_000): Buffer {
  return gzipSync(Buffer.concat([head('bomb', 'r'), Buffer.alloc(count * 2, Buffer.from([0x22, 0x00]))]), { level: 9 });
}

/** One series whose packed steps are `zeros` zero varints (one byte each), gzipped: ~61 KB for 63M steps. */
export function zeroStepsBomb(zeros = 63 * 1024 * 1024 - 64): Buffer {
  const series = Buffer.concat([field(1, Buffer.from('m')), varint((3 << 3) | 2), varint(zeros)]);
  const prefix = Buffer.concat([head('bomb', 'r'), varint((4 << 3) | 2), varint(series.length + zeros), series]);
  return gzipSync(Buffer.concat([prefix, Buffer.alloc(zeros)]), { level: 9 });
}

/** A run upsert whose config_json is `depth` nested arrays (bytes ≈ 2 × depth). */
export function deepConfig(depth = 4 * 1024 * 1024): Buffer {
  return runInfo('['.repeat(depth) + ']'.repeat(depth));
}

/** A run upsert whose config_json is one object of `bytes` of keys. */
export function hugeConfig(bytes = 15 * 1024 * 1024): Buffer {
  const entries: string[] = [];
  for (let i = 0, n = 2; n < bytes; i++) { const e = `"k${i}":${i}`; entries.push(e); n += e.length + 1; }
  return runInfo(`{${entries.join(',')}}`);
}

function runInfo(config: string): Buffer {
  return Buffer.concat([head('bomb', 'r'), field(3, Buffer.concat([field(1, Buffer.from('attack')), field(2, Buffer.from(config))]))]);
}
