// A quick verdict on an IngestRequest's bytes, for a gateway that forwards
// them as they are (the writer decodes them): the plain request — ids and
// metric names in ASCII, one packed column of each kind per series, columns
// of equal length, no run info — is checked without building anything.
// Anything else, valid or not, is left to decodeIngestRequest and
// validateRequest, which give every error its text.
//
// NOTE: one-sided by design: a request scanned as plain is one the decoder
// and the validator accept, with the same project, run id and point count
// (proto/test/scan.test.ts checks it over the test vectors, client-encoded
// bodies and mutations of them); null only says "decode it".
import { MAX_ABS_VALUE, MAX_ID_BYTES, MAX_METRIC_CHARS, MAX_POINTS_PER_REQUEST, MAX_SERIES_PER_REQUEST } from './limits.js';
import { CONTROL, METRIC_NAME } from './validate.js';

export interface ScannedRequest { project: string; runId: string; points: number }

const latin1 = new TextDecoder('latin1');

/** The ASCII bytes of `ok` (a scanned name or id is one byte a character). */
const asciiBytes = (ok: (ch: string) => boolean) => Uint8Array.from({ length: 256 }, (_, c) => (c < 128 && ok(String.fromCharCode(c)) ? 1 : 0));
/** Bytes allowed in a metric name: the ASCII characters validate.ts METRIC_NAME takes. */
const NAME_BYTE = asciiBytes((ch) => METRIC_NAME.test(ch));
/** Bytes a scanned id may hold: the ASCII characters validate.ts CONTROL does not name. */
const ID_BYTE = asciiBytes((ch) => !CONTROL.test(ch));
/**
 * A varint of at most this many bytes is below 2^49: a step or a time in ms
 * in [0, 2^53) for sure (longer ones, negative ones included, are left to
 * the decoder).
 */
const SHORT_VARINT_BYTES = 7;
/**
 * The biased exponent from which a finite value may lie past MAX_ABS_VALUE
 * (1e292 ≈ 2^970.003: below 2^970, exponent 970 + 1023, every value is within it).
 */
const EXP_PAST_LIMIT = Math.floor(Math.log2(MAX_ABS_VALUE)) + 1023;

/** Where the last length() left the cursor. */
let after = 0;

/** A length of at most 4 bytes at `at` that fits before `stop` (`after` then points past it); else -1. */
function length(b: Uint8Array, at: number, stop: number): number {
  let n = 0;
  for (let i = 0; i < 4; i++) {
    if (at + i >= stop) return -1;
    const byte = b[at + i]!;
    n |= (byte & 0x7f) << (7 * i);
    if (byte < 0x80) {
      after = at + i + 1;
      return n <= stop - after ? n : -1;
    }
  }
  return -1;
}

/** The end of a varint of at most `max` bytes at `at` (before `stop`), or -1. */
function varintEnd(b: Uint8Array, at: number, stop: number, max: number): number {
  const last = Math.min(stop, at + max);
  for (let i = at; i < last; i++) if (b[i]! < 0x80) return i + 1;
  return -1;
}

/** ASCII without control characters, 1..MAX_ID_BYTES bytes: what validate.ts idProblem passes. */
function plainId(b: Uint8Array, from: number, to: number): boolean {
  if (to - from < 1 || to - from > MAX_ID_BYTES) return false;
  for (let i = from; i < to; i++) if (ID_BYTE[b[i]!] === 0) return false;
  return true;
}

/** Whether the 10 bytes at `at` are the varint of -1 (an int32 -1 as protobuf writes it). */
function minusOne(b: Uint8Array, at: number, stop: number): boolean {
  if (stop - at < 10) return false;
  for (let i = at; i < at + 9; i++) if (b[i] !== 0xff) return false;
  return b[at + 9] === 0x01;
}

/** How many varints [from, to) holds when each is at most SHORT_VARINT_BYTES long and the last ends at `to`; else -1. */
function shortVarints(b: Uint8Array, from: number, to: number): number {
  let count = 0, run = 0;
  for (let i = from; i < to; i++) {
    if (b[i]! < 0x80) { count++; run = 0; } else if (++run >= SHORT_VARINT_BYTES) return -1;
  }
  return run === 0 ? count : -1;
}

/**
 * Whether packed doubles [from, to) are surely values validation takes:
 * below 2^970 in magnitude, or NaN / ±Infinity (judged by each one's
 * exponent, in its two high bytes: little-endian, the 8th and the 7th). A
 * finite value from 2^970 up is left to the validator (EXP_PAST_LIMIT).
 */
function plainValues(b: Uint8Array, from: number, to: number): boolean {
  for (let i = from + 7; i < to; i += 8) {
    const exp = ((b[i]! & 0x7f) << 4) | (b[i - 1]! >> 4);
    if (exp >= EXP_PAST_LIMIT && exp !== 2047) return false;
  }
  return true;
}

/** One series in [at, stop): its point count when plain and valid, else -1. */
function scanSeries(b: Uint8Array, at: number, stop: number): number {
  let p = at, steps = -1, values = -1, times = -1, named = false, ranked = false;
  while (p < stop) {
    const tag = b[p++]!;
    if (tag === 0x10) { // 2: rank, 0..2^28 - 1 or exactly -1
      if (ranked) return -1;
      ranked = true;
      const next = varintEnd(b, p, stop, 4);
      if (next > 0) p = next;
      else if (minusOne(b, p, stop)) p += 10;
      else return -1;
      continue;
    }
    if (tag !== 0x0a && tag !== 0x1a && tag !== 0x22 && tag !== 0x2a) return -1;
    const n = length(b, p, stop);
    if (n < 0) return -1;
    const from = after;
    p = from + n;
    if (tag === 0x0a) { // 1: metric
      if (named || n < 1 || n > MAX_METRIC_CHARS) return -1;
      named = true;
      for (let i = from; i < p; i++) if (NAME_BYTE[b[i]!] === 0) return -1;
    } else if (tag === 0x22) { // 4: values, packed doubles
      if (values >= 0 || n % 8 !== 0 || !plainValues(b, from, p)) return -1;
      values = n / 8;
    } else { // 3: steps, 5: time_ms, packed varints
      if ((tag === 0x1a ? steps : times) >= 0) return -1;
      const count = shortVarints(b, from, p);
      if (count < 0) return -1;
      if (tag === 0x1a) steps = count; else times = count;
    }
  }
  if (!named) return -1;
  const n = Math.max(steps, 0);
  if (Math.max(values, 0) !== n || (times > 0 && times !== n)) return -1;
  return n;
}

/** The request's project, run id and points when it is plain and valid, else null. Never throws. */
export function scanIngestRequest(b: Uint8Array): ScannedRequest | null {
  const end = b.length;
  let p = 0, project = -1, projectEnd = 0, run = -1, runEnd = 0, series = 0, points = 0;
  let client = false, sequence = false, attempt = false;
  while (p < end) {
    const tag = b[p++]!;
    if (tag === 0x30 || tag === 0x38) { // 6: sequence (below 2^63), 7: attempt (below 2^28)
      if (tag === 0x30 ? sequence : attempt) return null;
      if (tag === 0x30) sequence = true; else attempt = true;
      p = varintEnd(b, p, end, tag === 0x30 ? 9 : 4);
      if (p < 0) return null;
      continue;
    }
    // 1: project, 2: run_id, 4: series, 5: client_id; 3 (run info), other fields and wire types: decoded
    if (tag !== 0x0a && tag !== 0x12 && tag !== 0x22 && tag !== 0x2a) return null;
    const n = length(b, p, end);
    if (n < 0) return null;
    const from = after;
    p = from + n;
    if (tag === 0x22) {
      if (++series > MAX_SERIES_PER_REQUEST) return null;
      const count = scanSeries(b, from, p);
      if (count < 0 || (points += count) > MAX_POINTS_PER_REQUEST) return null;
    } else if (tag === 0x2a) {
      if (client || (n > 0 && !plainId(b, from, p))) return null;
      client = true;
    } else {
      if ((tag === 0x0a ? project : run) >= 0 || !plainId(b, from, p)) return null;
      if (tag === 0x0a) { project = from; projectEnd = p; } else { run = from; runEnd = p; }
    }
  }
  if (project < 0 || run < 0) return null;
  return { project: latin1.decode(b.subarray(project, projectEnd)), runId: latin1.decode(b.subarray(run, runEnd)), points };
}
