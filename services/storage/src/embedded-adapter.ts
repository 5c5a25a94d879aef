// The embedded engine: ClickHouse compiled as a library (npm `chdb`), one
// data directory bound to this process.
import { mkdirSync, existsSync } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Session } from 'chdb';
import { JSON_OUTPUT_SETTINGS, StoreError, identifier, settingsClause, type Params, type NativeInsert, type Settings, type StoreAdapter } from './adapter.js';

export interface EmbeddedOptions {
  /** Data directory (created if missing). */
  path: string;
  /** Where Native blocks are staged for the engine to read: tmpfs when there is one. */
  stagingDir?: string;
}

function defaultStaging(): string {
  return existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
}

export class EmbeddedAdapter implements StoreAdapter {
  readonly kind = 'embedded' as const;
  private readonly session: Session;
  private readonly staging: string;
  private closed = false;

  private constructor(session: Session, opts: EmbeddedOptions) {
    this.session = session;
    this.staging = join(opts.stagingDir ?? defaultStaging(), `stepstream-${process.pid}`);
    mkdirSync(this.staging, { recursive: true });
  }

  /**
   * NOTE: the engine (a ~150 MB library) is loaded here, on first use, not when
   * the storage module is imported: a gateway process never pays for it.
   */
  static async open(opts: EmbeddedOptions): Promise<EmbeddedAdapter> {
    const { Session } = await import('chdb');
    mkdirSync(opts.path, { recursive: true });
    return new EmbeddedAdapter(new Session(opts.path), opts);
  }

  async command(sql: string, params?: Params, settings?: Settings): Promise<void> {
    await this.run(sql + settingsClause(settings), params, 'Null');
  }

  async query<T>(sql: string, params?: Params, settings?: Settings): Promise<T[]> {
    // NOTE: the older query analyzer plans these small reads ~1 ms faster in
    // the embedded engine (a third of a 1000-point view); answers are the same.
    const text = await this.run(sql + settingsClause({ ...JSON_OUTPUT_SETTINGS, enable_analyzer: 0, ...settings }), params, 'JSONEachRow');
    if (!text) return [];
    const rows: T[] = [];
    for (const line of text.split('\n')) if (line) rows.push(JSON.parse(line) as T);
    return rows;
  }

  async queryColumns(sql: string, params?: Params, settings?: Settings): Promise<Record<string, unknown[]>> {
    const text = await this.run(sql + settingsClause({ ...JSON_OUTPUT_SETTINGS, enable_analyzer: 0, ...settings }), params, 'JSONColumns');
    return text ? (JSON.parse(text) as Record<string, unknown[]>) : {};
  }

  /**
   * NOTE: chdb's own insert takes text formats only, and parsing decimal text
   * is the dominant cost of an insert. A Native block staged on tmpfs and read
   * by the `file()` table function skips it: the packed doubles of a request
   * are already the bytes the engine wants.
   */
  async insertNative(insert: NativeInsert): Promise<void> {
    const file = join(this.staging, `${randomUUID()}.native`);
    // NOTE: one writev of every piece (a block lists a few per series), done
    // on libuv's thread pool: the event loop never copies the block.
    const fh = await open(file, 'w');
    try {
      await fh.writev(insert.payload as NodeJS.ArrayBufferView[]);
    } finally {
      await fh.close();
    }
    try {
      const cols = insert.columns.map(identifier).join(', ');
      await this.run(`INSERT INTO ${insert.table} (${cols})${settingsClause(insert.settings)} SELECT ${cols} FROM file({file:String}, 'Native')`, { file }, 'Null');
    } finally {
      await rm(file, { force: true });
    }
  }

  async insertJson(table: string, rows: readonly object[], settings?: Settings): Promise<void> {
    if (this.closed) throw new StoreError('store is closed');
    if (rows.length === 0) return;
    try {
      await this.session.insert({ table, values: Buffer.from(rows.map((r) => JSON.stringify(r)).join('\n')), format: 'JSONEachRow', settings: settings ?? {} });
    } catch (err) {
      throw new StoreError(`embedded ClickHouse: ${(err as Error).message.split('\n')[0]}`, { cause: err });
    }
  }

  private async run(sql: string, params: Params | undefined, format: string): Promise<string> {
    if (this.closed) throw new StoreError('store is closed');
    try {
      const result = params && Object.keys(params).length
        ? await this.session.queryBindAsync(sql, params, { format })
        : await this.session.queryAsync(sql, { format });
      return result.text();
    } catch (err) {
      throw new StoreError(`embedded ClickHouse: ${(err as Error).message.split('\n')[0]}`, { cause: err, engineCode: (err as { clickhouseCode?: number }).clickhouseCode });
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.session.close();
    await rm(this.staging, { recursive: true, force: true });
  }
}
