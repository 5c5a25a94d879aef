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
import type { DecodedIngestRequest, DecodedRunInfo, DecodedSeries } from './decoded-request.js';
import { Column, EMPTY, Reader } from './wire-reader.js';

export { ProtoDecodeError, ProtoLimitError } from './wire-reader.js';

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
/** The arena's bytes, to copy packed doubles into. */
let arenaBytes = new Uint8Array(arena.buffer);
let arenaUsed = 0;

function reserve(n: number): number {
  if (arenaUsed + n > arena.length) {
    arena = new Float64Array(Math.max(ARENA_DOUBLES, n));
    arenaBytes = new Uint8Array(arena.buffer);
    arenaUsed = 0;
  }
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
    copyBytes(bytes, start, n, arenaBytes, at * 8);
    arenaUsed = at + count;
    col.data = arena.subarray(at, at + count);
    col.n = count;
    return;
  }
  if (col.n + count > col.data.length) col.grow(col.n + count);
  copyBytes(bytes, start, n, new Uint8Array(col.data.buffer), col.data.byteOffset + col.n * 8);
  col.n += count;
}

/** Packed bytes this long or shorter are copied byte by byte (copyBytes). */
const COPY_LOOP_BYTES = 64;

/**
 * Copies n bytes of `from` at `at` into `to` at `into`. NOTE: a few values (a
 * series of one step: 8 bytes) by a loop: a view made to copy them with set()
 * cost ~0.3 µs a series (a micro-benchmark of 100 one-value columns: 30.5 ->
 * 2.3 µs; in the gateway's profile, views were ~40 µs of a 100-series request).
 */
function copyBytes(from: Uint8Array, at: number, n: number, to: Uint8Array, into: number): void {
  if (n <= COPY_LOOP_BYTES) { for (let i = 0; i < n; i++) to[into + i] = from[at + i]!; return; }
  to.set(new Uint8Array(from.buffer, from.byteOffset + at, n), into);
}

/**
 * The columns a series is read into: the same three for every series (one is
 * read at a time), handing on the arrays they read into, not themselves.
 */
const scratch = { steps: new Column(), values: new Column(), times: new Column() };

/** One series; none of its columns may hold more values than the budget has left. */
function decodeSeries(r: Reader, b: Budget): DecodedSeries {
  let metric = '';
  let rank = 0;
  const steps = scratch.steps.reset(), values = scratch.values.reset(), times = scratch.times.reset();
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
  const run: DecodedRunInfo = { name: '', configJson: '', tags: [], status: 0, startedMs: 0, finishedMs: 0, meta, resumeStep: null, forkOf: '', forkStep: 0 };
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
    } else if (field === 8 && wt === 0) run.resumeStep = r.int64();
    else if (field === 9 && wt === 2) run.forkOf = r.string();
    else if (field === 10 && wt === 0) run.forkStep = r.int64();
    else if (field >= 1 && field <= 10) r.fail(`RunInfo field ${field} has the wrong wire type ${wt}`);
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
  const req: DecodedIngestRequest = { project: '', runId: '', run: null, series: [], clientId: '', sequence: '0', attempt: 0 };
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
      case 7: if (wt !== 0) r.fail('attempt must be a varint'); req.attempt = r.uint32Value('attempt'); break;
      default: r.skip(wt);
    }
  }
  return req;
}
