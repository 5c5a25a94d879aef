// A minimal writer of ClickHouse's Native format: one block, columns in order.
// Column data is little-endian and columnar: fixed-width types are their raw
// arrays; String is a varint length then the bytes, per row.

export function varint(n: number, out: number[]): void {
  while (n >= 0x80) { out.push((n & 0x7f) | 0x80); n = Math.floor(n / 128); }
  out.push(n);
}

export function stringBytes(s: string): Buffer {
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
export function seriesKeyColumns(series: readonly { project: string; run: string; metric: string; rank: number }[], counts: readonly number[]): NativeColumn[] {
  const rank = new Int32Array(counts.reduce((a, b) => a + b, 0));
  let at = 0;
  series.forEach((s, i) => { rank.fill(s.rank, at, (at += counts[i]!)); });
  return [
    ...(['project', 'run', 'metric'] as const).map((name) => ({
      name, type: 'LowCardinality(String)', data: lowCardinalityStrings(series.map((s) => s[name]), counts),
    })),
    { name: 'rank', type: 'Int32', data: rank },
  ];
}

/**
 * A LowCardinality(String) column of `counts[i]` copies of `values[i]`: a
 * dictionary and one small index per row, so the engine neither parses nor
 * hashes a string per row. Layout: keys version (1), index type with the
 * "additional keys, update dictionary" flags, the keys (the default '' first),
 * then the row indexes.
 */
export function lowCardinalityStrings(values: readonly string[], counts: readonly number[]): Buffer[] {
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
