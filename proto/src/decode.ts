// Hand-written decoder for IngestRequest: the gateway's hot path.
//
// The generated protobufjs code (./gen) is the reference encoder and decoder,
// but it turns every int64 into a Long object. This reader walks the bytes
// once, reads packed doubles straight into a Float64Array and int64 varints
// into plain numbers (exact below 2^53; larger ones are flagged so validation
// can reject them instead of silently rounding).
//
// NOTE: what it allocates is bounded by the body and by DecodeLimits: a
// declared length never exceeds the bytes left, a packed field of n bytes
// holds at most n varints (or n/8 doubles), and the counts of series, points,
// tags and meta entries are checked as they are read, before anything is
// allocated for them, so a small gzip body cannot make it allocate gigabytes.
import { INGEST_LIMITS, type DecodeLimits } from './limits.js';

export interface DecodedRunInfo {
  name: string;
  configJson: string;
  tags: string[];
  status: number;
  startedMs: number;
  finishedMs: number;
  /** A null-prototype object: a `__proto__` key is an entry like any other. */
  meta: Record<string, string>;
}

export interface DecodedSeries {
  metric: string;
  rank: number;
  /** Steps as numbers; a step whose int64 is outside ±2^53 is stored as NaN. */
  steps: Float64Array;
  values: Float64Array;
  /** Empty when the client sent no times. Out-of-range times are NaN. */
  timeMs: Float64Array;
}

export interface DecodedIngestRequest {
  project: string;
  runId: string;
  run: DecodedRunInfo | null;
  series: DecodedSeries[];
  clientId: string;
  /** uint64 as decimal text: exact whatever its size. */
  sequence: string;
}

export class ProtoDecodeError extends Error {
  constructor(message: string, readonly offset: number) {
    super(`${message} at byte ${offset}`);
    this.name = 'ProtoDecodeError';
  }
}

/** A well-formed request past one of the DecodeLimits: `field` names the count, `limit` its bound. */
export class ProtoLimitError extends ProtoDecodeError {
  constructor(message: string, offset: number, readonly field: 'series' | 'points' | 'run.tags' | 'run.meta', readonly limit: number) {
    super(message, offset);
    this.name = 'ProtoLimitError';
  }
}

// NOTE: ignoreBOM keeps a leading U+FEFF: an id is stored exactly as sent.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const TWO_32 = 4294967296;
const EMPTY = new Float64Array(0);

class Reader {
  pos: number;
  constructor(readonly buf: Uint8Array, start: number, readonly end: number) { this.pos = start; }

  fail(msg: string): never { throw new ProtoDecodeError(msg, this.pos); }

  /** Reads a varint into lo/hi 32-bit halves (two's complement for negatives). */
  varint64(): [number, number] {
    const b = this.buf;
    let lo = 0, hi = 0, i = 0, byte = 0;
    for (; i < 4; i++) {
      if (this.pos >= this.end) this.fail('truncated varint');
      byte = b[this.pos++]!;
      lo = (lo | ((byte & 0x7f) << (i * 7))) >>> 0;
      if (byte < 0x80) return [lo, 0];
    }
    if (this.pos >= this.end) this.fail('truncated varint');
    byte = b[this.pos++]!;
    lo = (lo | ((byte & 0x7f) << 28)) >>> 0;
    hi = (byte & 0x7f) >> 4;
    if (byte < 0x80) return [lo, hi];
    for (i = 0; i < 5; i++) {
      if (this.pos >= this.end) this.fail('truncated varint');
      byte = b[this.pos++]!;
      hi = (hi | ((byte & 0x7f) << (i * 7 + 3))) >>> 0;
      if (byte < 0x80) return [lo, hi];
    }
    this.fail('varint longer than 10 bytes');
  }

  /** A tag or a length. Past 32 bits it is refused, never wrapped around (2^32 + 5 is not 5). */
  uint32(): number {
    const b = this.buf;
    // Fast path for the common one-byte tag/length.
    if (this.pos < this.end && b[this.pos]! < 0x80) return b[this.pos++]!;
    return this.uint32Long();
  }

  /** NOTE: apart from uint32() so that the hot callers stay small enough to inline. */
  private uint32Long(): number {
    const [lo, hi] = this.varint64();
    if (hi !== 0) this.fail('varint of a tag or length is 2^32 or more');
    return lo;
  }

  /** int64 as a number; NaN when it cannot be held exactly. */
  int64(): number {
    const [lo, hi] = this.varint64();
    if (hi & 0x80000000) {
      // negative: two's complement
      const nlo = (~lo + 1) >>> 0;
      const nhi = (~hi + (nlo === 0 ? 1 : 0)) >>> 0;
      if (nhi > 0x1fffff) return NaN;
      return -(nhi * TWO_32 + nlo);
    }
    if (hi > 0x1fffff) return NaN;
    return hi * TWO_32 + lo;
  }

  uint64Text(): string {
    const [lo, hi] = this.varint64();
    return hi === 0 ? String(lo) : ((BigInt(hi) << 32n) | BigInt(lo)).toString();
  }

  int32(): number {
    const [lo] = this.varint64();
    return lo | 0;
  }

  /** A declared length: never more than the bytes left. */
  length(): number {
    const n = this.uint32();
    if (n > this.end - this.pos) this.fail('length runs past the end of the message');
    return n;
  }

  limit(message: string, field: ProtoLimitError['field'], limit: number): never {
    throw new ProtoLimitError(message, this.pos, field, limit);
  }

  string(): string {
    const n = this.length();
    const start = this.pos;
    this.pos += n;
    try {
      return utf8.decode(this.buf.subarray(start, start + n));
    } catch {
      throw new ProtoDecodeError('string is not valid UTF-8', start);
    }
  }

  skip(wireType: number): void {
    switch (wireType) {
      case 0: this.varint64(); return;
      case 1: this.advance(8); return;
      case 2: { const n = this.length(); this.pos += n; return; }
      case 5: this.advance(4); return;
      default: this.fail(`unsupported wire type ${wireType}`);
    }
  }

  advance(n: number): void {
    if (this.end - this.pos < n) this.fail('truncated fixed-width field');
    this.pos += n;
  }

  double(): number {
    this.advance(8);
    const b = this.buf;
    const p = this.pos - 8;
    f64bytes[0] = b[p]!; f64bytes[1] = b[p + 1]!; f64bytes[2] = b[p + 2]!; f64bytes[3] = b[p + 3]!;
    f64bytes[4] = b[p + 4]!; f64bytes[5] = b[p + 5]!; f64bytes[6] = b[p + 6]!; f64bytes[7] = b[p + 7]!;
    return f64[0]!;
  }
}

const f64 = new Float64Array(1);
const f64bytes = new Uint8Array(f64.buffer);

/** Growable number column: packed and unpacked encodings may even be mixed. */
class Column {
  data: Float64Array = EMPTY;
  n = 0;
  push(v: number): void {
    if (this.n === this.data.length) this.grow(this.n + 1);
    this.data[this.n++] = v;
  }
  grow(min: number): void {
    const next = new Float64Array(Math.max(min, this.n === 0 ? 0 : this.data.length * 2, 16));
    next.set(this.data.subarray(0, this.n));
    this.data = next;
  }
  result(): Float64Array {
    return this.n === this.data.length ? this.data : this.data.subarray(0, this.n);
  }
}

/**
 * Where packed columns are decoded to (steps, times, and values not aligned
 * for a view on the request): chunks carved into the columns
 * of many series. NOTE: one Float64Array per series cost ~2 µs to allocate
 * (a backing store each) and was the decoder's largest cost; a view on a
 * shared chunk is a small heap object. A chunk lives as long as any view on
 * it, i.e. as long as the requests decoded into it.
 */
const ARENA_DOUBLES = 64 * 1024;
let arena = new Float64Array(ARENA_DOUBLES);
let arenaUsed = 0;

function reserve(n: number): number {
  if (arenaUsed + n > arena.length) { arena = new Float64Array(Math.max(ARENA_DOUBLES, n)); arenaUsed = 0; }
  return arenaUsed;
}

/** Points a column may still take (`left`) under the request's limit. */
interface Budget { left: number; limit: number }

function tooMany(r: Reader, b: Budget): never {
  r.limit(`more than ${b.limit} points in the request; split the batch`, 'points', b.limit);
}

function readInt64s(r: Reader, wireType: number, col: Column, b: Budget): void {
  const max = b.left;
  if (wireType === 0) { if (col.n >= max) tooMany(r, b); col.push(r.int64()); return; }
  if (wireType !== 2) r.fail(`int64 field with wire type ${wireType}`);
  const n = r.length();
  // A varint is 1 to 10 bytes: n bytes hold at least n/10 and at most n of them.
  if (col.n + Math.ceil(n / 10) > max) tooMany(r, b);
  const slots = Math.min(n, max - col.n);
  const end = r.pos + n;
  const buf = r.buf;
  // Room for all of them up front. The usual case (one packed field per
  // series) goes straight into the arena.
  const fresh = col.n === 0;
  let data: Float64Array, k: number;
  if (fresh) { k = reserve(slots); data = arena; }
  else { if (col.n + slots > col.data.length) col.grow(col.n + slots); data = col.data; k = col.n; }
  const start = k;
  // NOTE: no bound check per value: past `slots` a store lands in the arena's
  // free part or beyond the typed array (a no-op), and the count is checked after.
  while (r.pos < end) {
    const b0 = buf[r.pos]!;
    if (b0 < 0x80) { r.pos++; data[k++] = b0; continue; }
    const b1 = buf[r.pos + 1]!;
    if (b1 < 0x80 && r.pos + 1 < end) { r.pos += 2; data[k++] = (b0 & 0x7f) | (b1 << 7); continue; }
    const sub = new Reader(buf, r.pos, end);
    data[k++] = sub.int64();
    r.pos = sub.pos;
  }
  if (k - start > slots) tooMany(r, b);
  if (fresh) {
    arenaUsed = k;
    col.data = data.subarray(start, k);
    col.n = k - start;
  } else col.n = k;
}

function readDoubles(r: Reader, wireType: number, col: Column, b: Budget): void {
  const max = b.left;
  if (wireType === 1) { if (col.n >= max) tooMany(r, b); col.push(r.double()); return; }
  if (wireType !== 2) r.fail(`double field with wire type ${wireType}`);
  const n = r.length();
  if (n % 8 !== 0) r.fail('packed doubles length is not a multiple of 8');
  const count = n / 8;
  if (col.n + count > max) tooMany(r, b);
  const start = r.pos;
  r.pos += n;
  const bytes = r.buf;
  // NOTE: the common case, one packed field per series, aligned: a view on
  // the request's own bytes, no copy (the bytes live as long as the request).
  if (col.n === 0 && (bytes.byteOffset + start) % 8 === 0) {
    col.data = new Float64Array(bytes.buffer, bytes.byteOffset + start, count);
    col.n = count;
    return;
  }
  // Unaligned (most packed fields: the bytes before them are any length):
  // copied, into the arena when the column is new.
  if (col.n === 0) {
    const at = reserve(count);
    new Uint8Array(arena.buffer, at * 8, n).set(bytes.subarray(start, start + n));
    arenaUsed = at + count;
    col.data = arena.subarray(at, at + count);
    col.n = count;
    return;
  }
  if (col.n + count > col.data.length) col.grow(col.n + count);
  new Uint8Array(col.data.buffer, col.data.byteOffset + col.n * 8, n).set(bytes.subarray(start, start + n));
  col.n += count;
}

/** One series; none of its columns may hold more values than the budget has left. */
function decodeSeries(r: Reader, b: Budget): DecodedSeries {
  let metric = '';
  let rank = 0;
  const steps = new Column();
  const values = new Column();
  const times = new Column();
  while (r.pos < r.end) {
    const tag = r.uint32();
    const field = tag >>> 3, wt = tag & 7;
    switch (field) {
      case 1: if (wt !== 2) r.fail('metric must be a string'); metric = r.string(); break;
      case 2: if (wt !== 0) r.fail('rank must be a varint'); rank = r.int32(); break;
      case 3: readInt64s(r, wt, steps, b); break;
      case 4: readDoubles(r, wt, values, b); break;
      case 5: readInt64s(r, wt, times, b); break;
      default: r.skip(wt);
    }
  }
  return { metric, rank, steps: steps.result(), values: values.result(), timeMs: times.n ? times.result() : EMPTY };
}

function decodeRunInfo(r: Reader, limits: DecodeLimits): DecodedRunInfo {
  const meta = Object.create(null) as Record<string, string>;
  const run: DecodedRunInfo = { name: '', configJson: '', tags: [], status: 0, startedMs: 0, finishedMs: 0, meta };
  let entries = 0;
  while (r.pos < r.end) {
    const tag = r.uint32();
    const field = tag >>> 3, wt = tag & 7;
    if (field === 1 && wt === 2) run.name = r.string();
    else if (field === 2 && wt === 2) run.configJson = r.string();
    else if (field === 3 && wt === 2) {
      if (run.tags.length >= limits.maxTags) r.limit(`more than ${limits.maxTags} run.tags`, 'run.tags', limits.maxTags);
      run.tags.push(r.string());
    }
    else if (field === 4 && wt === 0) run.status = r.int32();
    else if (field === 5 && wt === 0) run.startedMs = r.int64();
    else if (field === 6 && wt === 0) run.finishedMs = r.int64();
    else if (field === 7 && wt === 2) {
      if (++entries > limits.maxMetaEntries) r.limit(`more than ${limits.maxMetaEntries} run.meta entries`, 'run.meta', limits.maxMetaEntries);
      const n = r.length();
      const entry = new Reader(r.buf, r.pos, r.pos + n);
      let key = '', value = '';
      while (entry.pos < entry.end) {
        const t = entry.uint32();
        if (t === 10) key = entry.string();
        else if (t === 18) value = entry.string();
        else entry.skip(t & 7);
      }
      meta[key] = value;
      r.pos += n;
    } else if (field >= 1 && field <= 7) r.fail(`RunInfo field ${field} has the wrong wire type ${wt}`);
    else r.skip(wt);
  }
  return run;
}

/**
 * Decodes an IngestRequest. Throws ProtoDecodeError on malformed bytes, and
 * ProtoLimitError (a ProtoDecodeError) past the limits.
 */
export function decodeIngestRequest(buf: Uint8Array, limits: Readonly<DecodeLimits> = INGEST_LIMITS): DecodedIngestRequest {
  const r = new Reader(buf, 0, buf.length);
  const req: DecodedIngestRequest = { project: '', runId: '', run: null, series: [], clientId: '', sequence: '0' };
  let points = 0;
  while (r.pos < r.end) {
    const tag = r.uint32();
    const field = tag >>> 3, wt = tag & 7;
    if (field === 0) r.fail('field number 0 is not allowed');
    switch (field) {
      case 1: if (wt !== 2) r.fail('project must be a string'); req.project = r.string(); break;
      case 2: if (wt !== 2) r.fail('run_id must be a string'); req.runId = r.string(); break;
      case 3: {
        if (wt !== 2) r.fail('run must be a message');
        const n = r.length();
        req.run = decodeRunInfo(new Reader(buf, r.pos, r.pos + n), limits);
        r.pos += n;
        break;
      }
      case 4: {
        if (wt !== 2) r.fail('series must be a message');
        if (req.series.length >= limits.maxSeries) r.limit(`more than ${limits.maxSeries} series in the request; split the batch`, 'series', limits.maxSeries);
        const n = r.length();
        const s = decodeSeries(new Reader(buf, r.pos, r.pos + n), { left: limits.maxPoints - points, limit: limits.maxPoints });
        // The longest column counts: validation refuses unequal ones later, but each was allocated.
        points += Math.max(s.steps.length, s.values.length, s.timeMs.length);
        req.series.push(s);
        r.pos += n;
        break;
      }
      case 5: if (wt !== 2) r.fail('client_id must be a string'); req.clientId = r.string(); break;
      case 6: if (wt !== 0) r.fail('sequence must be a varint'); req.sequence = r.uint64Text(); break;
      default: r.skip(wt);
    }
  }
  return req;
}
