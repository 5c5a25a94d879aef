// The records of the write-ahead log, and how a segment file is read back.
//
// Every record is framed as [u32 length][u32 crc32][body], little-endian,
// where length and crc32 cover the body. The body starts with a type byte:
//   DATA   1  seq f64, receivedMs f64, points u32, value bytes
//   PLAN   2  firstSeq f64, lastSeq f64   (a delivery is about to be handed out)
//   COMMIT 3  lastSeq f64                 (the store accepted everything up to lastSeq)
// Sequence numbers are integers below 2^53, stored as doubles.
import zlib from 'node:zlib';

export const DATA = 1, PLAN = 2, COMMIT = 3;
const FRAME = 8;
const DATA_HEAD = 1 + 8 + 8 + 4;

export type WalRecord =
  | { type: typeof DATA; seq: number; receivedMs: number; points: number; value: Buffer }
  | { type: typeof PLAN; first: number; last: number }
  | { type: typeof COMMIT; last: number };

/** CRC-32 (IEEE) of zlib (Node 20.15+, which engines requires). */
export const crc32: (data: Uint8Array, value?: number) => number = zlib.crc32;

/** A DATA record as [frame+head, value], so the value is written without a copy. */
export function encodeData(seq: number, receivedMs: number, points: number, value: Uint8Array): Uint8Array[] {
  const head = Buffer.allocUnsafe(FRAME + DATA_HEAD);
  head.writeUInt32LE(DATA_HEAD + value.byteLength, 0);
  head.writeUInt8(DATA, 8);
  head.writeDoubleLE(seq, 9);
  head.writeDoubleLE(receivedMs, 17);
  head.writeUInt32LE(points >>> 0, 25);
  head.writeUInt32LE(crc32(value, crc32(head.subarray(FRAME))), 4);
  return [head, value];
}

export function encodePlan(first: number, last: number): Uint8Array[] {
  return [control(PLAN, first, last)];
}

export function encodeCommit(last: number): Uint8Array[] {
  return [control(COMMIT, last)];
}

function control(type: number, ...seqs: number[]): Buffer {
  const buf = Buffer.allocUnsafe(FRAME + 1 + 8 * seqs.length);
  buf.writeUInt32LE(1 + 8 * seqs.length, 0);
  buf.writeUInt8(type, 8);
  seqs.forEach((s, i) => buf.writeDoubleLE(s, 9 + 8 * i));
  buf.writeUInt32LE(crc32(buf.subarray(FRAME)), 4);
  return buf;
}

/**
 * A body of any kind framed as the log's records are ([u32 length][u32
 * crc32][body]): for other append-only files of the data directory (the dead
 * letters), so one framing is read and checked one way.
 */
export function encodeFrame(body: readonly Uint8Array[]): Uint8Array[] {
  const head = Buffer.allocUnsafe(FRAME);
  let len = 0, crc = 0;
  for (const part of body) { len += part.byteLength; crc = crc32(part, crc); }
  head.writeUInt32LE(len, 0);
  head.writeUInt32LE(crc, 4);
  return [head, ...body];
}

/** The body framed at `off` (a view into `buf`) and the framed length, or null when cut short or its checksum is wrong. */
export function frameAt(buf: Buffer, off: number): { body: Buffer; bytes: number } | null {
  if (off + FRAME > buf.length) return null;
  const len = buf.readUInt32LE(off);
  if (len < 1 || off + FRAME + len > buf.length) return null;
  const body = buf.subarray(off + FRAME, off + FRAME + len);
  return crc32(body) === buf.readUInt32LE(off + 4) ? { body, bytes: FRAME + len } : null;
}

/** Bytes of the smallest DATA record, framed: a bound on how many records some bytes can hold. */
export const MIN_DATA_RECORD = FRAME + DATA_HEAD;

const isSeq = (n: number) => Number.isSafeInteger(n) && n >= 0;

/**
 * The record framed at `off`, with its framed length, or null when none is
 * (cut short, checksum wrong, or making no sense: a zero-filled tail has a
 * valid checksum of nothing, hence the minimum lengths). With `afterSeq`, a
 * DATA record must have a higher seq: used when looking for records past
 * damage, where a false start must not pass.
 */
function recordAt(buf: Buffer, off: number, afterSeq = -1): { record: WalRecord; bytes: number } | null {
  if (off + FRAME > buf.length) return null;
  const len = buf.readUInt32LE(off);
  if (len < 1 || off + FRAME + len > buf.length) return null;
  const at = off + FRAME, type = buf[at];
  let record: WalRecord;
  // NOTE: the cheap checks come before the checksum, so that looking for the
  // next record past damage does not hash megabytes at every byte offset.
  if (type === DATA && len >= DATA_HEAD) {
    const seq = buf.readDoubleLE(at + 1);
    if (!isSeq(seq) || seq <= afterSeq) return null;
    record = { type, seq, receivedMs: buf.readDoubleLE(at + 9), points: buf.readUInt32LE(at + 17), value: buf.subarray(at + DATA_HEAD, at + len) };
  } else if (type === PLAN && len === 17) {
    record = { type, first: buf.readDoubleLE(at + 1), last: buf.readDoubleLE(at + 9) };
    if (!isSeq(record.first) || !isSeq(record.last) || record.first > record.last) return null;
  } else if (type === COMMIT && len === 9) {
    record = { type, last: buf.readDoubleLE(at + 1) };
    if (!isSeq(record.last)) return null;
  } else {
    return null;
  }
  if (crc32(buf.subarray(at, at + len)) !== buf.readUInt32LE(off + 4)) return null;
  return { record, bytes: FRAME + len };
}

/** Bytes of a segment that hold no readable record: [from, to). */
export interface Damage { from: number; to: number }

export interface SegmentScan {
  /** Where the valid records from the start end: the file's length when undamaged. */
  validEnd: number;
  /** Every stretch of damage, in order; the records between them were passed on. */
  damage: Damage[];
  /** Records read after the first damage. */
  recordsAfterDamage: number;
}

/**
 * Reads every record of one segment in order (and each stretch of damage,
 * in its place among them). Values are views into `buf`. Past damage, reading goes on at the next offset where a record with a
 * higher data seq than any before starts, so nothing valid is skipped.
 */
export function scanSegment(buf: Buffer, onRecord: (r: WalRecord) => void, onDamage?: (d: Damage) => void): SegmentScan {
  const damage: Damage[] = [];
  let off = 0, maxSeq = -1, after = 0, validEnd = -1;
  while (off < buf.length) {
    const found = recordAt(buf, off);
    if (found) {
      if (found.record.type === DATA) maxSeq = Math.max(maxSeq, found.record.seq);
      if (damage.length > 0) after++;
      onRecord(found.record);
      off += found.bytes;
      continue;
    }
    if (validEnd < 0) validEnd = off;
    let next = off + 1;
    while (next < buf.length && !recordAt(buf, next, maxSeq)) next++;
    const d = { from: off, to: next };
    damage.push(d);
    onDamage?.(d);
    off = next;
  }
  return { validEnd: validEnd < 0 ? buf.length : validEnd, damage, recordsAfterDamage: after };
}
