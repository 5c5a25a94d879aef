// Encodes points as one ClickHouse Native block: columnar, so values are a
// straight copy of the request's packed doubles and the repeated strings are
// filled natively rather than written row by row.

/** One series' points, as they arrive in a request. */
export interface SeriesRows {
  project: string;
  run: string;
  metric: string;
  rank: number;
  steps: Float64Array;
  values: Float64Array;
  /** Empty: every point takes `receivedMs`. */
  timeMs: Float64Array;
  receivedMs: number;
}

export const POINT_COLUMNS = ['project', 'run', 'metric', 'rank', 'step', 'value', 'time_ms'] as const;
const TYPES = ['String', 'String', 'String', 'Int32', 'Int64', 'Float64', 'Int64'] as const;
const TWO_32 = 4294967296;

function varint(n: number, out: number[]): void {
  while (n >= 0x80) { out.push((n & 0x7f) | 0x80); n = Math.floor(n / 128); }
  out.push(n);
}

function stringBytes(s: string): Buffer {
  const body = Buffer.from(s, 'utf8');
  const head: number[] = [];
  varint(body.length, head);
  return Buffer.concat([Buffer.from(head), body]);
}

/** Writes non-negative integers < 2^53 (or negative > -2^53) as little-endian Int64 pairs. */
function fillInt64(dst: Int32Array, at: number, src: Float64Array): void {
  for (let i = 0; i < src.length; i++) {
    const v = src[i]!;
    const hi = Math.floor(v / TWO_32);
    dst[2 * (at + i)] = (v - hi * TWO_32) | 0;
    dst[2 * (at + i) + 1] = hi;
  }
}

function fillInt64Const(dst: Int32Array, from: number, to: number, v: number): void {
  const hi = Math.floor(v / TWO_32);
  const lo = (v - hi * TWO_32) | 0;
  for (let i = from; i < to; i++) { dst[2 * i] = lo; dst[2 * i + 1] = hi; }
}

function stringColumn(series: readonly SeriesRows[], pick: (s: SeriesRows) => string): Buffer {
  const cache = new Map<string, Buffer>();
  const parts: Buffer[] = [];
  let size = 0;
  for (const s of series) {
    const key = pick(s);
    let b = cache.get(key);
    if (!b) { b = stringBytes(key); cache.set(key, b); }
    parts.push(b);
    size += b.length * s.steps.length;
  }
  const out = Buffer.allocUnsafe(size);
  let off = 0;
  series.forEach((s, i) => {
    const b = parts[i]!;
    const len = b.length * s.steps.length;
    if (len) out.fill(b, off, off + len);
    off += len;
  });
  return out;
}

/** Total points of the given series. */
export function countRows(series: readonly SeriesRows[]): number {
  let n = 0;
  for (const s of series) n += s.steps.length;
  return n;
}

export function encodePointsBlock(series: readonly SeriesRows[]): Buffer {
  const rows = countRows(series);
  const rank = new Int32Array(rows);
  const step = new Int32Array(rows * 2);
  const value = new Float64Array(rows);
  const time = new Int32Array(rows * 2);
  let at = 0;
  for (const s of series) {
    const n = s.steps.length;
    rank.fill(s.rank, at, at + n);
    fillInt64(step, at, s.steps);
    value.set(s.values, at);
    if (s.timeMs.length) fillInt64(time, at, s.timeMs);
    else fillInt64Const(time, at, at + n, s.receivedMs);
    at += n;
  }
  const head: number[] = [];
  varint(POINT_COLUMNS.length, head);
  varint(rows, head);
  const header = (i: number) => Buffer.concat([stringBytes(POINT_COLUMNS[i]!), stringBytes(TYPES[i]!)]);
  const asBytes = (a: Int32Array | Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  return Buffer.concat([
    Buffer.from(head),
    header(0), stringColumn(series, (s) => s.project),
    header(1), stringColumn(series, (s) => s.run),
    header(2), stringColumn(series, (s) => s.metric),
    header(3), asBytes(rank),
    header(4), asBytes(step),
    header(5), asBytes(value),
    header(6), asBytes(time),
  ]);
}
