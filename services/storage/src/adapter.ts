// The seam between Stepstream's SQL and a ClickHouse: an embedded engine in
// this process (chdb) or a server over HTTP. Both run the same statements.

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
  /** DDL and other statements with no result. */
  command(sql: string, params?: Params, settings?: Settings): Promise<void>;
  /** A SELECT answered as JSON rows. `{name:Type}` placeholders bind params. */
  query<T>(sql: string, params?: Params, settings?: Settings): Promise<T[]>;
  /**
   * A SELECT of number columns (Float*, Int*, UInt*) answered column by
   * column (name → values), for reads of many rows. Exact: NaN, ±Infinity and
   * -0 as stored, integers up to 2^53. A column of any other type is refused.
   */
  queryColumns(sql: string, params?: Params, settings?: Settings): Promise<Record<string, Float64Array>>;
  /** Bulk rows: the Native format is the engine's own, so it parses at memcpy speed. */
  insertNative(insert: NativeInsert): Promise<void>;
  /** Small inserts (run metadata, batch keys). */
  insertJson(table: string, rows: readonly object[], settings?: Settings): Promise<void>;
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
  constructor(message: string, options?: { cause?: unknown; engineCode?: number | undefined }) {
    super(message, options);
    this.name = 'StoreError';
    this.engineCode = options?.engineCode;
  }
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
/** Database and table names are ours, never a user's; still, refuse anything odd. */
export function identifier(name: string): string {
  if (!IDENT.test(name)) throw new StoreError(`not a valid identifier: ${JSON.stringify(name)}`);
  return name;
}

/** A ClickHouse string literal: within quotes, only the backslash and the quote need escaping. */
export function stringLiteral(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export function settingsClause(settings: Settings | undefined): string {
  if (!settings || Object.keys(settings).length === 0) return '';
  return ' SETTINGS ' + Object.entries(settings).map(([k, v]) => `${identifier(k)} = ${typeof v === 'number' ? v : stringLiteral(String(v))}`).join(', ');
}
