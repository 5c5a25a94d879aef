// Every raw point over some segments (a run's effective history, or one
// attempt's every point), written by the engine in Parquet, Arrow or CSV and
// streamed as it is written (adapter.queryStream). The segments are the query
// side's (lineage.ts); which rows of a segment count is segments.ts's.
import type { Readable } from 'node:stream';
import type { Params, Settings, StoreAdapter } from './adapter.js';
import { StoreError } from './adapter.js';
import { segmentArms, type ReadSegment } from './segments.js';

export type ExportFormat = 'parquet' | 'arrow' | 'csv';

/** The engine's output format for each export format. */
export const EXPORT_FORMATS: Record<ExportFormat, string> = { parquet: 'Parquet', arrow: 'ArrowStream', csv: 'CSVWithNames' };

/** The columns of an export, in order. */
export const EXPORT_COLUMNS = ['metric', 'rank', 'step', 'value', 'time_ms'] as const;

/** Exports a process runs at once; one more is refused (ExportRefusedError), not queued: each holds an engine connection while its client reads. */
export const EXPORTS_AT_ONCE = 2;

/**
 * NOTE: the settings every export runs with. The points table is ordered by
 * (project, run, metric, rank, step): over one run the engine reads in that
 * order and sorts nothing. Over several runs (a fork and its parents) it must
 * sort; past 256 MB the sort spills to disk instead of growing. Parquet row
 * groups of 256k rows bound what the encoder holds (~10 MB); snappy, which
 * every Parquet reader takes; no bloom filters and no page index (measured:
 * they halved the encoder's speed, 3.7 → 8.7M points/s, for filters the
 * row groups' own min/max mostly give). Arrow unsplit
 * and uncompressed: any Arrow reader takes it. No time limit: the client's
 * reading paces the engine (a pipe's backpressure), and a client that stops
 * reading is cut off by the stream (fifo-stream.ts, STREAM_STALL_MS).
 */
const EXPORT_SETTINGS: Settings = {
  optimize_read_in_order: 1,
  max_bytes_before_external_sort: 256 * 1024 * 1024,
  max_execution_time: 0,
  output_format_parquet_row_group_size: 262_144,
  output_format_parquet_compression_method: 'snappy',
  output_format_parquet_write_bloom_filter: 0,
  output_format_parquet_write_page_index: 0,
  output_format_arrow_compression_method: 'none',
};

export interface ExportFilter {
  /** Only these metrics (default: every one). */
  metrics?: readonly string[];
  /** Only these ranks (default: every one, -1 included). */
  ranks?: readonly number[];
  /** Step window [from, to); either end may be left open. */
  from?: number;
  to?: number;
}

/** An export refused because EXPORTS_AT_ONCE are running. */
export class ExportRefusedError extends StoreError {
  constructor(readonly limit: number) {
    super(`${limit} exports are running, the most at once; retry when one is done`);
    this.name = 'ExportRefusedError';
  }
}

export class PointExports {
  private running = 0;

  constructor(private readonly adapter: StoreAdapter, private readonly db: string, private readonly limit = EXPORTS_AT_ONCE) {}

  /** The statement an export runs (exposed for tests of its plan). */
  statement(project: string, segs: readonly ReadSegment[], filter: ExportFilter): { sql: string; params: Params } {
    const params: Params = { project };
    const runs = [...new Set(segs.map((s) => s.run))];
    runs.forEach((r, i) => { params[`run${i}`] = r; });
    const range = { ...(filter.from === undefined ? {} : { lo: filter.from }), ...(filter.to === undefined ? {} : { hi: filter.to }) };
    const arms = segmentArms(segs, runs, 1, 0, range, params);
    const where = [`project = {project:String}`];
    // NOTE: `run = R`, not `run IN (R)`: only an equality fixes the key's
    // prefix for the engine, which then reads in key order instead of sorting.
    if (runs.length === 1) where.push('run = {run0:String}');
    else if (runs.length) where.push(`run IN (${runs.map((_, i) => `{run${i}:String}`).join(', ')})`);
    if (filter.metrics) { params['metrics'] = [...filter.metrics]; where.push('metric IN {metrics:Array(String)}'); }
    if (filter.ranks) { params['ranks'] = [...filter.ranks]; where.push('rank IN {ranks:Array(Int32)}'); }
    where.push(arms.length ? `(${arms.join(' OR ')})` : 'false');
    const sql = `SELECT ${EXPORT_COLUMNS.join(', ')} FROM ${this.db}.points WHERE ${where.join(' AND ')} ORDER BY metric, rank, step`;
    return { sql, params };
  }

  /** The points as the format's bytes, streamed; counted against EXPORTS_AT_ONCE until the stream closes. */
  async stream(project: string, segs: readonly ReadSegment[], filter: ExportFilter, format: ExportFormat): Promise<Readable> {
    if (this.running >= this.limit) throw new ExportRefusedError(this.limit);
    this.running++;
    let released = false;
    const release = () => { if (!released) { released = true; this.running--; } };
    try {
      const { sql, params } = this.statement(project, segs, filter);
      const body = await this.adapter.queryStream(sql, params, EXPORT_SETTINGS, EXPORT_FORMATS[format]);
      body.once('close', release);
      return body;
    } catch (err) {
      release();
      throw err;
    }
  }
}
