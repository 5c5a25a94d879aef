// An export's bytes read back with readers that know nothing of Stepstream
// (hyparquet for Parquet, apache-arrow for the Arrow stream, a CSV parser
// here), and the rows the export must hold, from the lineage reference.
import { tableFromIPC } from 'apache-arrow';
import { parquetReadObjects } from 'hyparquet';
import type { LineageReference, PointSelection } from './lineage-reference.js';

export interface ExportRow { metric: string; rank: number; step: number; value: number; time_ms: number }
export type Format = 'parquet' | 'arrow' | 'csv';

export const COLUMNS = ['metric', 'rank', 'step', 'value', 'time_ms'];

/** CSV's non-finite tokens as ClickHouse writes them; every other value is a decimal JavaScript reads exactly. */
export function csvNumber(text: string): number {
  if (text === 'nan' || text === '-nan') return NaN;
  if (text === 'inf' || text === '+inf') return Infinity;
  if (text === '-inf') return -Infinity;
  const n = Number(text);
  if (text === '' || Number.isNaN(n)) throw new Error(`not a number in the CSV: ${JSON.stringify(text)}`);
  return n;
}

const unquote = (f: string) => (f.startsWith('"') ? f.slice(1, -1).replace(/""/g, '"') : f);

/** CSVWithNames as the engine writes it: a header, then one line per point; metric names hold no comma or quote. */
export function readCsv(text: string): { columns: string[]; rows: ExportRow[] } {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const columns = (lines.shift() ?? '').split(',').map(unquote);
  const rows = lines.map((line) => {
    const [metric, rank, step, value, time] = line.split(',');
    return { metric: unquote(metric!), rank: Number(rank), step: Number(step), value: csvNumber(value!), time_ms: Number(time) };
  });
  return { columns, rows };
}

export function readArrow(bytes: Uint8Array): { columns: string[]; rows: ExportRow[] } {
  const table = tableFromIPC(bytes);
  const columns = table.schema.fields.map((f) => f.name);
  const col = (name: string) => table.getChild(name)!;
  const [metric, rank, step, value, time] = COLUMNS.map(col);
  const rows: ExportRow[] = [];
  for (let i = 0; i < table.numRows; i++) {
    rows.push({ metric: String(metric!.get(i)), rank: Number(rank!.get(i)), step: Number(step!.get(i)), value: Number(value!.get(i)), time_ms: Number(time!.get(i)) });
  }
  return { columns, rows };
}

export async function readParquet(bytes: Uint8Array): Promise<{ columns: string[]; rows: ExportRow[] }> {
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const objects = (await parquetReadObjects({ file })) as Record<string, unknown>[];
  const columns = objects[0] ? Object.keys(objects[0]) : COLUMNS;
  const rows = objects.map((o) => ({ metric: String(o['metric']), rank: Number(o['rank']), step: Number(o['step']), value: Number(o['value']), time_ms: Number(o['time_ms']) }));
  return { columns, rows };
}

export async function readExport(format: Format, bytes: Uint8Array): Promise<{ columns: string[]; rows: ExportRow[] }> {
  if (format === 'csv') return readCsv(Buffer.from(bytes).toString('utf8'));
  return format === 'arrow' ? readArrow(bytes) : readParquet(bytes);
}

export interface ExportWant { metrics?: string[]; ranks?: number[]; from?: number; to?: number }

/** The points an export must hold: the selection's points, filtered, in the export's order (metric, rank, step). */
export function wantedRows(ref: LineageReference, run: string, selection: PointSelection, want: ExportWant = {}, timeOf: (p: { step: number; attempt: number }) => number): ExportRow[] {
  return ref.select(run, selection)
    .filter((p) => (!want.metrics || want.metrics.includes(p.metric)) && (!want.ranks || want.ranks.includes(p.rank))
      && (want.from === undefined || p.step >= want.from) && (want.to === undefined || p.step < want.to))
    .map((p) => ({ metric: p.metric, rank: p.rank, step: p.step, value: p.value, time_ms: p.timeMs ?? timeOf(p) }))
    .sort(byKey);
}

const bits = new Float64Array(1), bitsInt = new BigInt64Array(bits.buffer);
/** A value's bits; every NaN as one (its payload is not a value). */
const valueBits = (v: number) => { bits[0] = Number.isNaN(v) ? NaN : v; return bitsInt[0]!; };

/** Export order, ties (a step logged twice by one attempt) by value bits and time. */
export function byKey(a: ExportRow, b: ExportRow): number {
  if (a.metric !== b.metric) return a.metric < b.metric ? -1 : 1;
  if (a.rank !== b.rank) return a.rank - b.rank;
  if (a.step !== b.step) return a.step - b.step;
  const va = valueBits(a.value), vb = valueBits(b.value);
  if (va !== vb) return va < vb ? -1 : 1;
  return a.time_ms - b.time_ms;
}

/** Rows as comparable text: every value by its bits (NaN, ±Infinity and -0 exact). */
export const rowKeys = (rows: readonly ExportRow[]): string[] =>
  rows.map((r) => `${r.metric}|${r.rank}|${r.step}|${valueBits(r.value)}|${r.time_ms}`);
