// The records of the write-ahead log, and how a segment file is read back.
//
// Every record is framed as [u32 length][u32 crc32][body], little-endian,
// where length and crc32 cover the body. The body starts with a type byte:
//   DATA   1  seq f64, receivedMs f64, points u32, value bytes
//   PLAN   2  firstSeq f64, lastSeq f64   (a delivery is about to be handed out)
//   COMMIT 3  lastSeq f64                 (the store accepted everything up to lastSeq)
// Sequence numbers are integers below 2^53, stored as doubles.
import * as zlib from 'node:zlib';

export const DATA = 1, PLAN = 2, COMMIT = 3;
const FRAME = 8;
const DATA_HEAD = 1 + 8 + 8 + 4;

export type WalRecord =
  | { type: typeof DATA; seq: number; receivedMs: number; points: number; value: Buffer }
  | { type: typeof PLAN; first: number; last: number }
  | { type: typeof COMMIT; last: number };

let table: Int32Array | null = null;

/** Table-driven CRC-32 (IEEE), the same as zlib.crc32, for Node releases before 20.15. */
export function crc32Portable(data: Uint8Array, value = 0): number {
  if (!table) {
    table = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c;
    }
  }
  let c = ~value;
  for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

// NOTE: looked up on the namespace, not imported by name: a named import of a
// missing export would fail to load on Node 20.0-20.14 (engines says >=20).
const native = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
export const crc32: (data: Uint8Array, value?: number) => number = native ?? crc32Portable;

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
 * Reads the records of one segment in order and returns where the valid part
 * ends. Values are views into `buf`. Reading stops at the first record that is
 * cut short, fails its checksum or makes no sense (a zero-filled tail has a
 * valid checksum of nothing, hence the minimum lengths).
 */
export function scanSegment(buf: Buffer, onRecord: (r: WalRecord) => void): number {
  let off = 0;
  while (off + FRAME <= buf.length) {
    const len = buf.readUInt32LE(off);
    if (len < 1 || off + FRAME + len > buf.length) break;
    const body = buf.subarray(off + FRAME, off + FRAME + len);
    if (crc32(body) !== buf.readUInt32LE(off + 4)) break;
    const type = body[0];
    if (type === DATA && len >= DATA_HEAD) {
      onRecord({ type, seq: body.readDoubleLE(1), receivedMs: body.readDoubleLE(9), points: body.readUInt32LE(17), value: body.subarray(DATA_HEAD) });
    } else if (type === PLAN && len === 17) {
      onRecord({ type, first: body.readDoubleLE(1), last: body.readDoubleLE(9) });
    } else if (type === COMMIT && len === 9) {
      onRecord({ type, last: body.readDoubleLE(1) });
    } else {
      break;
    }
    off += FRAME + len;
  }
  return off;
}
