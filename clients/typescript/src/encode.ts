// Hand encoder for IngestRequest, in the canonical form of
// proto/testdata/README.md: fields in number order, proto3 defaults left out,
// packed columns, NaN as the quiet NaN 0x7FF8000000000000. Two passes: the
// first sizes every message, the second writes into one exact buffer, so a
// batch costs one allocation and no intermediate objects. The generated
// protobufjs encoder gives the same bytes (a test checks both against the
// shared vectors and against each other) but is several times slower on
// packed columns.
import { RUN_STATUS_CODE, type IngestBatch, type RunInfoInput, type SeriesInput } from './types.js';

const TWO_32 = 4294967296;
const MAX_UINT64 = (1n << 64n) - 1n;

/** Bytes of the varint of a non-negative safe integer. */
function uintSize(n: number): number {
  if (n < 0x80) return 1;
  if (n < 0x4000) return 2;
  if (n < 0x200000) return 3;
  if (n < 0x10000000) return 4;
  let size = 4;
  n = Math.floor(n / 0x10000000);
  while (n > 0) { size++; n = Math.floor(n / 0x80); }
  return size;
}

/** Bytes of an int64 (negative ones are sign-extended to ten bytes). */
function int64Size(n: number): number {
  return n < 0 ? 10 : uintSize(n);
}

function checkInt64(n: number, what: string): void {
  if (!Number.isSafeInteger(n)) throw new RangeError(`${what} must be a safe integer, got ${n}`);
}

function stringField(s: string | undefined): number {
  if (!s) return 0;
  const n = Buffer.byteLength(s, 'utf8');
  return 1 + uintSize(n) + n;
}

function lengthField(n: number): number {
  return 1 + uintSize(n) + n;
}

/** A string written even when empty (list elements, map keys and values). */
function alwaysString(s: string): number {
  return lengthField(Buffer.byteLength(s, 'utf8'));
}

/** Bytes of the varint of a uint64 given as unsigned 32-bit halves. */
function varint64Size(lo: number, hi: number): number {
  if (hi === 0) return uintSize(lo);
  return Math.ceil((64 - Math.clz32(hi)) / 7);
}

function packedInt64Bytes(a: ArrayLike<number>, what: string): number {
  let size = 0;
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    checkInt64(v, what);
    size += int64Size(v);
  }
  return size;
}

interface SeriesSizes { body: number; steps: number; times: number }

function sizeSeries(s: SeriesInput): SeriesSizes {
  const n = s.steps.length;
  const t = s.timeMs?.length ?? 0;
  if (s.values.length !== n || (t !== 0 && t !== n)) {
    throw new RangeError(`series ${s.metric}: steps, values and timeMs must have equal lengths (${n}, ${s.values.length}, ${t})`);
  }
  const steps = packedInt64Bytes(s.steps, `series ${s.metric}: step`);
  const times = t === 0 ? 0 : packedInt64Bytes(s.timeMs!, `series ${s.metric}: timeMs`);
  const rank = s.rank ?? -1;
  if (!Number.isInteger(rank) || rank < -0x80000000 || rank > 0x7fffffff) throw new RangeError(`series ${s.metric}: rank must be an int32, got ${rank}`);
  let body = stringField(s.metric);
  if (rank !== 0) body += 1 + int64Size(rank);
  if (n > 0) body += lengthField(steps) + lengthField(8 * n);
  if (times > 0) body += lengthField(times);
  return { body, steps, times };
}

function statusCode(status: RunInfoInput['status']): number {
  if (status === undefined) return 0;
  if (typeof status === 'number') {
    if (!Number.isInteger(status) || status < 0 || status > 4) throw new RangeError(`unknown run status ${status}`);
    return status;
  }
  const code = RUN_STATUS_CODE[status];
  if (code === undefined) throw new RangeError(`unknown run status ${String(status)}`);
  return code;
}

function sizeRunInfo(r: RunInfoInput): number {
  let size = stringField(r.name) + stringField(r.configJson);
  for (const tag of r.tags ?? []) size += alwaysString(tag);
  const status = statusCode(r.status);
  if (status !== 0) size += 1 + uintSize(status);
  if (r.startedMs) { checkInt64(r.startedMs, 'startedMs'); size += 1 + int64Size(r.startedMs); }
  if (r.finishedMs) { checkInt64(r.finishedMs, 'finishedMs'); size += 1 + int64Size(r.finishedMs); }
  for (const [k, v] of Object.entries(r.meta ?? {})) size += lengthField(alwaysString(k) + alwaysString(v));
  // resume_step is optional in the proto: present at 0 is not absent.
  if (r.resumeStep != null) { checkInt64(r.resumeStep, 'resumeStep'); size += 1 + int64Size(r.resumeStep); }
  size += stringField(r.forkOf);
  if (r.forkStep) { checkInt64(r.forkStep, 'forkStep'); size += 1 + int64Size(r.forkStep); }
  return size;
}

function toUint64(seq: number | bigint): bigint {
  const big = typeof seq === 'bigint' ? seq : Number.isSafeInteger(seq) ? BigInt(seq) : -1n;
  if (big < 0n || big > MAX_UINT64) throw new RangeError(`sequence must be a uint64, got ${String(seq)}`);
  return big;
}

class Writer {
  pos = 0;
  readonly view: DataView;
  constructor(readonly buf: Buffer) { this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength); }

  /** Varint of a 64-bit value given as unsigned 32-bit halves. */
  varint64(lo: number, hi: number): void {
    const b = this.buf;
    while (hi > 0 || lo > 0x7f) {
      b[this.pos++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    b[this.pos++] = lo;
  }

  uint(n: number): void {
    if (n < 0x80) { this.buf[this.pos++] = n; return; }
    this.varint64(n >>> 0, Math.floor(n / TWO_32));
  }

  int64(n: number): void {
    if (n >= 0) { this.uint(n); return; }
    const big = BigInt.asUintN(64, BigInt(n));
    this.varint64(Number(big & 0xffffffffn), Number(big >> 32n));
  }

  tag(field: number, wire: number): void { this.buf[this.pos++] = (field << 3) | wire; }

  string(field: number, s: string | undefined): void {
    if (s) this.alwaysString(field, s);
  }

  alwaysString(field: number, s: string): void {
    this.tag(field, 2);
    this.uint(Buffer.byteLength(s, 'utf8'));
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  packedInt64(field: number, bytes: number, a: ArrayLike<number>): void {
    this.tag(field, 2);
    this.uint(bytes);
    for (let i = 0; i < a.length; i++) this.int64(a[i]!);
  }

  packedDouble(field: number, a: ArrayLike<number>): void {
    this.tag(field, 2);
    this.uint(8 * a.length);
    const view = this.view;
    for (let i = 0; i < a.length; i++) {
      const v = a[i]!;
      // NOTE: a NaN from arithmetic can carry another bit pattern (x86 makes
      // 0xFFF8...); the canonical form and the server want the quiet NaN.
      if (v !== v) { view.setUint32(this.pos, 0, true); view.setUint32(this.pos + 4, 0x7ff80000, true); }
      else view.setFloat64(this.pos, v, true);
      this.pos += 8;
    }
  }
}

/** Encodes one IngestRequest to its canonical bytes. Throws RangeError on malformed input. */
export function encodeIngestRequest(batch: IngestBatch): Buffer {
  const seriesSizes = batch.series.map(sizeSeries);
  const runSize = batch.run ? sizeRunInfo(batch.run) : -1;
  const sequence = batch.sequence === undefined ? 0n : toUint64(batch.sequence);
  const seqLo = Number(sequence & 0xffffffffn), seqHi = Number(sequence >> 32n);
  const attempt = batch.attempt ?? 0;
  if (!Number.isInteger(attempt) || attempt < 0 || attempt > 0xffffffff) throw new RangeError(`attempt must be a uint32, got ${attempt}`);

  let total = stringField(batch.project) + stringField(batch.runId) + stringField(batch.clientId);
  if (runSize >= 0) total += lengthField(runSize);
  for (const s of seriesSizes) total += lengthField(s.body);
  if (sequence !== 0n) total += 1 + varint64Size(seqLo, seqHi);
  if (attempt !== 0) total += 1 + uintSize(attempt);

  const w = new Writer(Buffer.allocUnsafe(total));
  w.string(1, batch.project);
  w.string(2, batch.runId);
  if (batch.run && runSize >= 0) writeRunInfo(w, batch.run, runSize);
  batch.series.forEach((s, i) => writeSeries(w, s, seriesSizes[i]!));
  w.string(5, batch.clientId);
  if (sequence !== 0n) { w.tag(6, 0); w.varint64(seqLo, seqHi); }
  if (attempt !== 0) { w.tag(7, 0); w.uint(attempt); }
  if (w.pos !== total) throw new Error(`encoder size mismatch: wrote ${w.pos} of ${total} bytes`);
  return w.buf;
}

function writeSeries(w: Writer, s: SeriesInput, sizes: SeriesSizes): void {
  w.tag(4, 2);
  w.uint(sizes.body);
  w.string(1, s.metric);
  const rank = s.rank ?? -1;
  if (rank !== 0) { w.tag(2, 0); w.int64(rank); }
  if (s.steps.length > 0) {
    w.packedInt64(3, sizes.steps, s.steps);
    w.packedDouble(4, s.values);
  }
  if (sizes.times > 0) w.packedInt64(5, sizes.times, s.timeMs!);
}

function writeRunInfo(w: Writer, r: RunInfoInput, size: number): void {
  w.tag(3, 2);
  w.uint(size);
  w.string(1, r.name);
  w.string(2, r.configJson);
  // List elements and map entries are written even when empty, as protobufjs does.
  for (const tag of r.tags ?? []) w.alwaysString(3, tag);
  const status = statusCode(r.status);
  if (status !== 0) { w.tag(4, 0); w.uint(status); }
  if (r.startedMs) { w.tag(5, 0); w.int64(r.startedMs); }
  if (r.finishedMs) { w.tag(6, 0); w.int64(r.finishedMs); }
  for (const [k, v] of Object.entries(r.meta ?? {})) {
    w.tag(7, 2);
    w.uint(alwaysString(k) + alwaysString(v));
    w.alwaysString(1, k);
    w.alwaysString(2, v);
  }
  if (r.resumeStep != null) { w.tag(8, 0); w.int64(r.resumeStep); }
  w.string(9, r.forkOf);
  if (r.forkStep) { w.tag(10, 0); w.int64(r.forkStep); }
}
