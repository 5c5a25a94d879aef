// Reads an IngestRequest back into a batch: a spooled batch the server
// answered 413 is split, and splitting needs its series. The bytes are a
// client's own (this one's or the Python client's), so this is a reader,
// not a validator: no limits, no checks beyond well-formedness. A test
// checks it against the server's decoder on the shared vectors in
// proto/testdata, so the two cannot drift apart.
import type { IngestBatch, RunInfoInput, SeriesInput } from './types.js';

// NOTE: ignoreBOM keeps a leading U+FEFF: an id comes back exactly as sent.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

class Reader {
  pos: number;
  constructor(readonly buf: Uint8Array, start: number, readonly end: number) { this.pos = start; }

  private byte(): number {
    if (this.pos >= this.end) throw new RangeError(`truncated IngestRequest at byte ${this.pos}`);
    return this.buf[this.pos++]!;
  }

  uint64(): bigint {
    let v = 0n, shift = 0n, b: number;
    do { b = this.byte(); v |= BigInt(b & 0x7f) << shift; shift += 7n; } while (b & 0x80);
    return BigInt.asUintN(64, v);
  }

  /** An int64 (or sign-extended int32) as a number, exact below 2^53. */
  int64(): number {
    const start = this.pos;
    let v = 0, scale = 1, b: number;
    // Up to 7 bytes (49 bits) add up exactly in a double; longer ones (large or negative) go through a bigint.
    for (let i = 0; i < 7; i++) {
      b = this.byte();
      v += (b & 0x7f) * scale;
      if (!(b & 0x80)) return v;
      scale *= 128;
    }
    this.pos = start;
    return Number(BigInt.asIntN(64, this.uint64()));
  }

  length(): number {
    const n = this.int64();
    if (n < 0 || n > this.end - this.pos) throw new RangeError(`bad length ${n} at byte ${this.pos}`);
    return n;
  }

  string(): string {
    const n = this.length();
    const s = utf8.decode(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return s;
  }

  sub(): Reader {
    const n = this.length();
    const r = new Reader(this.buf, this.pos, this.pos + n);
    this.pos += n;
    return r;
  }

  double(): number {
    if (this.end - this.pos < 8) throw new RangeError(`truncated double at byte ${this.pos}`);
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8).getFloat64(0, true);
    this.pos += 8;
    return v;
  }

  skip(wireType: number): void {
    if (wireType === 0) this.uint64();
    else if (wireType === 1) this.pos += 8;
    else if (wireType === 2) this.pos += this.length();
    else if (wireType === 5) this.pos += 4;
    else throw new RangeError(`unknown wire type ${wireType} at byte ${this.pos}`);
    if (this.pos > this.end) throw new RangeError('truncated IngestRequest');
  }
}

/** A repeated int64 field, packed (wire type 2) or not (0), appended to `out`. */
function int64s(r: Reader, wireType: number, out: number[]): void {
  if (wireType === 0) { out.push(r.int64()); return; }
  const p = r.sub();
  while (p.pos < p.end) out.push(p.int64());
}

function doubles(r: Reader, wireType: number, out: number[]): void {
  if (wireType === 1) { out.push(r.double()); return; }
  const p = r.sub();
  while (p.pos < p.end) out.push(p.double());
}

function series(r: Reader): SeriesInput {
  let metric = '', rank = 0;
  const steps: number[] = [], values: number[] = [], timeMs: number[] = [];
  while (r.pos < r.end) {
    const tag = r.int64(), wt = tag & 7;
    switch (tag >>> 3) {
      case 1: metric = r.string(); break;
      case 2: rank = r.int64(); break;
      case 3: int64s(r, wt, steps); break;
      case 4: doubles(r, wt, values); break;
      case 5: int64s(r, wt, timeMs); break;
      default: r.skip(wt);
    }
  }
  return { metric, rank, steps, values: Float64Array.from(values), timeMs };
}

function runInfo(r: Reader): RunInfoInput {
  const tags: string[] = [];
  // A null-prototype object: a `__proto__` key is an entry like any other.
  const meta = Object.create(null) as Record<string, string>;
  const run = { name: '', configJson: '', tags, status: 0, startedMs: 0, finishedMs: 0, meta, resumeStep: null as number | null, forkOf: '', forkStep: 0 };
  while (r.pos < r.end) {
    const tag = r.int64(), wt = tag & 7;
    switch (tag >>> 3) {
      case 1: run.name = r.string(); break;
      case 2: run.configJson = r.string(); break;
      case 3: tags.push(r.string()); break;
      case 4: run.status = r.int64(); break;
      case 5: run.startedMs = r.int64(); break;
      case 6: run.finishedMs = r.int64(); break;
      case 7: {
        const e = r.sub();
        let key = '', value = '';
        while (e.pos < e.end) {
          const t = e.int64();
          if (t === 10) key = e.string();
          else if (t === 18) value = e.string();
          else e.skip(t & 7);
        }
        meta[key] = value;
        break;
      }
      case 8: run.resumeStep = r.int64(); break;
      case 9: run.forkOf = r.string(); break;
      case 10: run.forkStep = r.int64(); break;
      default: r.skip(wt);
    }
  }
  return run;
}

/** Decodes an IngestRequest. Throws RangeError (or TypeError on bad UTF-8) on malformed bytes. */
export function decodeIngestRequest(buf: Uint8Array): Required<Pick<IngestBatch, 'project' | 'runId' | 'run' | 'clientId' | 'sequence' | 'attempt'>> & { series: SeriesInput[] } {
  const r = new Reader(buf, 0, buf.length);
  const batch = { project: '', runId: '', run: null as RunInfoInput | null, series: [] as SeriesInput[], clientId: '', sequence: 0n, attempt: 0 };
  while (r.pos < r.end) {
    const tag = r.int64(), wt = tag & 7;
    switch (tag >>> 3) {
      case 1: batch.project = r.string(); break;
      case 2: batch.runId = r.string(); break;
      case 3: batch.run = runInfo(r.sub()); break;
      case 4: batch.series.push(series(r.sub())); break;
      case 5: batch.clientId = r.string(); break;
      case 6: batch.sequence = r.uint64(); break;
      case 7: batch.attempt = Number(r.uint64() & 0xffffffffn); break;
      default: r.skip(wt);
    }
  }
  return batch;
}
