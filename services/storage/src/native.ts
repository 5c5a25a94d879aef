// A minimal writer of ClickHouse's Native format: one block, columns in order.
// Column data is little-endian and columnar: fixed-width types are their raw
// arrays; String is a varint length then the bytes, per row.

export function varint(n: number, out: number[]): void {
  while (n >= 0x80) { out.push((n & 0x7f) | 0x80); n = Math.floor(n / 128); }
  out.push(n);
}

function stringBytes(s: string): Buffer {
  const body = Buffer.from(s, 'utf8');
  const head: number[] = [];
  varint(body.length, head);
  return Buffer.concat([Buffer.from(head), body]);
}

/** Bytes as they are laid out in memory: a Buffer, or any typed array (a view, not copied). */
export type Piece = ArrayBufferView;

export interface NativeColumn { name: string; type: string; data: Piece | readonly Piece[] }

/**
 * The block as the list of its pieces, in order. NOTE: not concatenated: the
 * adapters write the pieces out as they are, so the column arrays are never
 * copied into one buffer on the way to the engine.
 */
export function nativeBlock(rows: number, columns: readonly NativeColumn[]): Piece[] {
  const head: number[] = [];
  varint(columns.length, head);
  varint(rows, head);
  const parts: Piece[] = [Buffer.from(head)];
  for (const c of columns) parts.push(stringBytes(c.name), stringBytes(c.type), ...(ArrayBuffer.isView(c.data) ? [c.data] : c.data));
  return parts;
}

/** The key columns (project, run, metric, rank) of rows grouped by series (`counts[i]` rows of series i). */
export function seriesKeyColumns(series: readonly { project: string; run: string; metric: string; rank: number; attempt: number }[], counts: readonly number[]): NativeColumn[] {
  const rows = counts.reduce((a, b) => a + b, 0);
  const rank = new Int32Array(rows), attempt = new Uint32Array(rows);
  let at = 0;
  series.forEach((s, i) => { rank.fill(s.rank, at, at + counts[i]!); attempt.fill(s.attempt, at, (at += counts[i]!)); });
  return [
    ...(['project', 'run', 'metric'] as const).map((name) => ({
      name, type: 'LowCardinality(String)', data: lowCardinalityStrings(series.map((s) => s[name]), counts),
    })),
    { name: 'rank', type: 'Int32', data: rank },
    { name: 'attempt', type: 'UInt32', data: attempt },
  ];
}

/**
 * A LowCardinality(String) column of `counts[i]` copies of `values[i]`: a
 * dictionary and one small index per row, so the engine neither parses nor
 * hashes a string per row. Layout: keys version (1), index type with the
 * "additional keys, update dictionary" flags, the keys (the default '' first),
 * then the row indexes.
 */
function lowCardinalityStrings(values: readonly string[], counts: readonly number[]): Buffer[] {
  const dict = new Map<string, number>([['', 0]]);
  const idx = values.map((v) => {
    let i = dict.get(v);
    if (i === undefined) dict.set(v, (i = dict.size));
    return i;
  });
  const rows = counts.reduce((a, b) => a + b, 0);
  const [type, Index] = dict.size <= 0xff ? [0, Uint8Array] as const : dict.size <= 0xffff ? [1, Uint16Array] as const : [2, Uint32Array] as const;
  const indexes = new Index(rows);
  let at = 0;
  idx.forEach((k, i) => { indexes.fill(k, at, at + counts[i]!); at += counts[i]!; });
  const u64 = (n: number) => { const b = Buffer.alloc(8); b.writeUInt32LE(n >>> 0, 0); b.writeUInt32LE(Math.floor(n / 4294967296), 4); return b; };
  return [
    u64(1), u64(type | 0x600), u64(dict.size),
    ...[...dict.keys()].map(stringBytes),
    u64(rows), Buffer.from(indexes.buffer, indexes.byteOffset, indexes.byteLength),
  ];
}

/** The pieces of a block regrouped into chunks of about `size` bytes (small pieces copied together, large ones as they are). */
export function* coalesce(pieces: readonly Piece[], size = 1 << 20): Generator<Buffer> {
  let run: Buffer[] = [], bytes = 0;
  for (const piece of pieces) {
    const p = Buffer.isBuffer(piece) ? piece : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    if (p.length >= size) {
      if (run.length) { yield Buffer.concat(run, bytes); run = []; bytes = 0; }
      yield p;
      continue;
    }
    run.push(p); bytes += p.length;
    if (bytes >= size) { yield Buffer.concat(run, bytes); run = []; bytes = 0; }
  }
  if (run.length) yield Buffer.concat(run, bytes);
}

/** Bytes per value of the numeric types `readNumericColumns` reads. */
const WIDTH: Record<string, number> = { Float64: 8, Float32: 4, Int64: 8, UInt64: 8, Int32: 4, UInt32: 4, Int16: 2, UInt16: 2, Int8: 1, UInt8: 1 };

/**
 * The number type a column's values are written as, or undefined when they
 * are not numbers. NOTE: a tier's min(first_step) is typed
 * SimpleAggregateFunction(min, Int64), whose values are the Int64s.
 */
export function numberType(type: string): string | undefined {
  const inner = /^SimpleAggregateFunction\(\w+, (.+)\)$/.exec(type)?.[1] ?? type;
  return WIDTH[inner] === undefined ? undefined : inner;
}

/**
 * Reads the engine's Native output (blocks of columns) whose columns are all
 * numeric into one Float64Array per column. 64-bit integers become numbers:
 * exact up to 2^53, what every integer Stepstream stores is bounded by.
 * NOTE: a copy of bytes per column, no text: the reason for it (a 100,000-row
 * answer was a few MB of JSON parsed on the event loop, ~100 ms).
 */
export function readNumericColumns(bytes: Uint8Array): Record<string, Float64Array> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  const uvarint = () => {
    let n = 0, mul = 1, b: number;
    do { b = bytes[at++]!; n += (b & 0x7f) * mul; mul *= 128; } while (b & 0x80);
    return n;
  };
  const str = () => { const len = uvarint(); const s = Buffer.from(bytes.buffer, bytes.byteOffset + at, len).toString('utf8'); at += len; return s; };
  // First pass: where each block's column data is.
  const pieces = new Map<string, { type: string; at: number; rows: number }[]>();
  while (at < bytes.length) {
    const cols = uvarint(), rows = uvarint();
    for (let c = 0; c < cols; c++) {
      const name = str(), declared = str(), type = numberType(declared);
      if (type === undefined) throw new Error(`readNumericColumns: column ${name} is ${declared}, not a number type`);
      const width = WIDTH[type]!;
      if (at + rows * width > bytes.length) throw new Error('readNumericColumns: truncated block');
      const list = pieces.get(name) ?? [];
      list.push({ type, at, rows });
      pieces.set(name, list);
      at += rows * width;
    }
  }
  const out: Record<string, Float64Array> = {};
  for (const [name, list] of pieces) {
    const col = new Float64Array(list.reduce((n, p) => n + p.rows, 0));
    let i = 0;
    for (const p of list) {
      if (p.type === 'Float64') {
        // NOTE: Native is little-endian, as are the machines Node runs on here (x86-64, arm64).
        new Uint8Array(col.buffer, i * 8, p.rows * 8).set(bytes.subarray(p.at, p.at + p.rows * 8));
        i += p.rows;
        continue;
      }
      const end = i + p.rows;
      let o = p.at;
      switch (p.type) {
        case 'Int64': for (; i < end; i++, o += 8) col[i] = view.getInt32(o + 4, true) * 4294967296 + view.getUint32(o, true); break;
        case 'UInt64': for (; i < end; i++, o += 8) col[i] = view.getUint32(o + 4, true) * 4294967296 + view.getUint32(o, true); break;
        case 'Float32': for (; i < end; i++, o += 4) col[i] = view.getFloat32(o, true); break;
        case 'Int32': for (; i < end; i++, o += 4) col[i] = view.getInt32(o, true); break;
        case 'UInt32': for (; i < end; i++, o += 4) col[i] = view.getUint32(o, true); break;
        case 'Int16': for (; i < end; i++, o += 2) col[i] = view.getInt16(o, true); break;
        case 'UInt16': for (; i < end; i++, o += 2) col[i] = view.getUint16(o, true); break;
        case 'Int8': for (; i < end; i++, o += 1) col[i] = view.getInt8(o); break;
        default: for (; i < end; i++, o += 1) col[i] = view.getUint8(o); break;
      }
    }
    out[name] = col;
  }
  return out;
}
