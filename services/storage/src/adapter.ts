// The seam between Stepstream's SQL and a ClickHouse: an embedded engine in
// this process (chdb) or a server over HTTP. Both run the same statements.
import type { Readable } from 'node:stream';

export type Params = Record<string, unknown>;
export type Settings = Record<string, string | number>;

export interface NativeInsert {
  /** Fully qualified table, e.g. `stepstream.points`. */
  table: string;
  /** Columns of the payload, in payload order. */
  columns: readonly string[];
  /** A block in ClickHouse's columnar Native format, as its pieces in order. */
  payload: readonly ArrayBufferView[];
  settings?: Settings;
}

export interface StoreAdapter {
  readonly kind: 'embedded' | 'http';
  /**
   * DDL and other statements with no result. `opts.scratch`: it writes only
   * a table no kept read is made from (a run list's snapshot), so
   * writeEpoch stays as it was.
   */
  command(sql: string, params?: Params, settings?: Settings, opts?: { scratch?: boolean }): Promise<void>;
  /** A SELECT answered as JSON rows. `{name:Type}` placeholders bind params. */
  query<T>(sql: string, params?: Params, settings?: Settings): Promise<T[]>;
  /**
   * A SELECT of number columns (Float*, Int*, UInt*) answered column by
   * column (name → values), for reads of many rows. Exact: NaN, ±Infinity and
   * -0 as stored, integers up to 2^53. A column of any other type is refused.
   */
  queryColumns(sql: string, params?: Params, settings?: Settings): Promise<Record<string, Float64Array>>;
  /**
   * A SELECT answered in one of the engine's output formats (Parquet,
   * ArrowStream, CSVWithNames...) as a byte stream, read as fast as the
   * stream is consumed, never held whole. It ends only once the statement
   * succeeded; a failure at any point errors it.
   */
  queryStream(sql: string, params: Params | undefined, settings: Settings | undefined, format: string): Promise<Readable>;
  /** Bulk rows: the Native format is the engine's own, so it parses at memcpy speed. */
  insertNative(insert: NativeInsert): Promise<void>;
  /** Small inserts (run metadata, batch keys). */
  insertJson(table: string, rows: readonly object[], settings?: Settings): Promise<void>;
  /**
   * A count every write of this process raises once it is done (command,
   * insertNative, insertJson), when this process is the store's only writer
   * (the embedded engine is opened by one process): what was read while it
   * stood is still what the store holds. Undefined where other processes
   * write too (a server): nothing read may be kept then.
   */
  writeEpoch(): number | undefined;
  close(): Promise<void>;
}

/** Output settings both adapters pin, so rows look the same whichever answers. */
export const JSON_OUTPUT_SETTINGS: Settings = {
  output_format_json_quote_64bit_integers: 0,
  output_format_json_quote_denormals: 1,
  output_format_json_named_tuples_as_objects: 1,
};

/** ClickHouse writes non-finite numbers in JSON as quoted strings; these turn them back. */
export function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v === 'nan' || v === '-nan') return NaN;
  if (v === 'inf' || v === '+inf') return Infinity;
  if (v === '-inf') return -Infinity;
  return Number(v);
}

export class StoreError extends Error {
  readonly code = 'SS_ERR_STORE';
  /** ClickHouse's error code when the engine refused the statement (e.g. 159, TIMEOUT_EXCEEDED). */
  readonly engineCode: number | undefined;
  /** Whether the same statement may succeed later (retry it); false: the engine refuses it whatever the retry. */
  readonly transient: boolean;
  constructor(message: string, options?: { cause?: unknown; engineCode?: number | undefined }) {
    super(message, options);
    this.name = 'StoreError';
    this.engineCode = options?.engineCode;
    this.transient = isTransientEngineCode(this.engineCode);
  }
}

/**
 * ClickHouse error codes that refuse a block for what it holds (a value the
 * engine cannot parse, convert or accept, a constraint it violates): the
 * same block is refused on every retry.
 */
export const PERMANENT_ENGINE_CODES: ReadonlyMap<number, string> = new Map([
  [6, 'CANNOT_PARSE_TEXT'], [9, 'SIZES_OF_COLUMNS_DOESNT_MATCH'], [20, 'NUMBER_OF_COLUMNS_DOESNT_MATCH'],
  [25, 'CANNOT_PARSE_ESCAPE_SEQUENCE'], [26, 'CANNOT_PARSE_QUOTED_STRING'], [27, 'CANNOT_PARSE_INPUT_ASSERTION_FAILED'],
  [38, 'CANNOT_PARSE_DATE'], [41, 'CANNOT_PARSE_DATETIME'], [43, 'ILLEGAL_TYPE_OF_ARGUMENT'], [44, 'ILLEGAL_COLUMN'],
  [53, 'TYPE_MISMATCH'], [69, 'ARGUMENT_OUT_OF_BOUND'], [70, 'CANNOT_CONVERT_TYPE'], [72, 'CANNOT_PARSE_NUMBER'],
  [117, 'INCORRECT_DATA'], [128, 'TOO_LARGE_ARRAY_SIZE'], [131, 'TOO_LARGE_STRING_SIZE'],
  [321, 'VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE'], [349, 'CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN'], [376, 'CANNOT_PARSE_UUID'],
  [441, 'CANNOT_PARSE_DOMAIN_VALUE_FROM_STRING'], [467, 'CANNOT_PARSE_BOOL'], [469, 'VIOLATED_CONSTRAINT'],
  [632, 'UNEXPECTED_DATA_AFTER_PARSED_VALUE'], [675, 'CANNOT_PARSE_IPV4'], [676, 'CANNOT_PARSE_IPV6'],
]);

/**
 * Whether a store failure with this engine code may pass if retried: the one
 * place that decides, for both adapters (through StoreError).
 *
 * NOTE: unknown codes, and failures with no code (connection refused or
 * reset, a timeout, "store is closed"), are transient: a wrong guess of
 * "transient" stalls the writer until someone looks, a wrong "permanent"
 * sends good data to the dead letters. So are the codes of load (252
 * TOO_MANY_PARTS, 241 MEMORY_LIMIT_EXCEEDED, 159 TIMEOUT_EXCEEDED, 209/210
 * socket and network errors, 202 TOO_MANY_SIMULTANEOUS_QUERIES), of a block
 * cut short in transit (32, 33), and of a schema the store lacks (60
 * UNKNOWN_TABLE, 16 NO_SUCH_COLUMN_IN_TABLE): those refuse every block, not
 * one, and are the operator's to fix.
 */
export function isTransientEngineCode(code: number | undefined): boolean {
  return code === undefined || !PERMANENT_ENGINE_CODES.has(code);
}

/** Output formats a stream may be asked for (the names are put in the statement as they are). */
export const STREAM_FORMATS = new Set(['Parquet', 'ArrowStream', 'CSVWithNames']);

const IDENT = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
/** Database and table names are ours, never a user's; still, refuse anything odd. */
export function identifier(name: string): string {
  if (!IDENT.test(name)) throw new StoreError(`not a valid identifier: ${JSON.stringify(name)}`);
  return name;
}

/**
 * The engine's JIT off, for a statement that reads (embedded-adapter.ts says
 * why): compiling an expression the third time it is met took 40-80 ms of
 * that statement.
 */
export const NO_JIT: Settings = { compile_expressions: 0, compile_aggregate_expressions: 0, compile_sort_description: 0 };
/**
 * The JIT back on, for the reads that aggregate millions of raw points of
 * many ranks (a window's per-rank figures, the heatmap, the band from raw
 * points): there compiled code paid for itself (a 1,000-step window of
 * 1,024 ranks: p50 49 ms with it, 64 without).
 */
export const WITH_JIT: Settings = { compile_expressions: 1, compile_aggregate_expressions: 1, compile_sort_description: 1 };

/** A ClickHouse string literal: within quotes, only the backslash and the quote need escaping. */
export function stringLiteral(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export function settingsClause(settings: Settings | undefined): string {
  if (!settings || Object.keys(settings).length === 0) return '';
  return ' SETTINGS ' + Object.entries(settings).map(([k, v]) => `${identifier(k)} = ${typeof v === 'number' ? v : stringLiteral(String(v))}`).join(', ');
}
