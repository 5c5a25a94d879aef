// The protobuf wire format as the ingest decoder reads it (decode.ts): a
// cursor over the bytes with bounds-checked varints, lengths, strings and
// fixed-width fields, and a growable number column. No allocation beyond
// what a caller asks for.

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
/** Strings up to this many bytes are looked up among the kept ASCII strings first (string(); 4,096 of them hold ~1 MB at most). */
const ASCII_FAST_BYTES = 256;
export const EMPTY = new Float64Array(0);

/** ASCII strings kept by the hash of their bytes (string()); at most ASCII_KEPT, the oldest dropped first. */
const asciiKept = new Map<number, string>();
const ASCII_KEPT = 4096;

/** The ASCII string of buf[start, start + n), hashed `h`: the one kept when its characters are those bytes, else decoded and kept. */
function knownAscii(buf: Uint8Array, start: number, n: number, h: number): string {
  const kept = asciiKept.get(h);
  if (kept !== undefined && kept.length === n) {
    let i = 0;
    while (i < n && kept.charCodeAt(i) === buf[start + i]) i++;
    if (i === n) return kept;
  }
  const s = utf8.decode(buf.subarray(start, start + n));
  if (kept === undefined && asciiKept.size >= ASCII_KEPT) asciiKept.delete(asciiKept.keys().next().value!);
  asciiKept.set(h, s);
  return s;
}

export class Reader {
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

  /** A uint32 field: a varint of 2^32 or more is refused, never truncated to its low bits. */
  uint32Value(field: string): number {
    const [lo, hi] = this.varint64();
    if (hi !== 0) this.fail(`${field} is 2^32 or more`);
    return lo;
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
    // NOTE: ASCII (metric names, ids) is its own UTF-8, and the same names
    // come in every request: an ASCII string is looked up by a hash of its
    // bytes, and decoded only when not known. In a micro-benchmark of 100
    // names: 48 -> 17 µs (TextDecoder was the largest part of a decode).
    if (n <= ASCII_FAST_BYTES) {
      const buf = this.buf;
      let h = 0x811c9dc5 ^ n, i = start;
      for (; i < start + n; i++) {
        const b = buf[i]!;
        if (b >= 0x80) break;
        h = Math.imul(h ^ b, 0x01000193);
      }
      if (i === start + n) return knownAscii(buf, start, n, h);
    }
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
export class Column {
  data: Float64Array = EMPTY;
  n = 0;
  /** Empty again, the array it held left to whoever took its result(). */
  reset(): this {
    this.data = EMPTY;
    this.n = 0;
    return this;
  }
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

