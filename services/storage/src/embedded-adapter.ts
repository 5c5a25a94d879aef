// The embedded engine: ClickHouse compiled as a library (npm `chdb`), one
// data directory bound to this process.
import { mkdirSync, existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { ChdbResult, Session } from 'chdb';
import type { Readable } from 'node:stream';
import { JSON_OUTPUT_SETTINGS, NO_JIT, STREAM_FORMATS, StoreError, identifier, settingsClause, stringLiteral, type Params, type NativeInsert, type Settings, type StoreAdapter } from './adapter.js';
import { fifoStream } from './fifo-stream.js';
import { inlineParams } from './inline-params.js';
import { readNumericColumns } from './native.js';
import { removeStaleStaging } from './staging-dirs.js';

/**
 * Settings of every read (query, queryColumns). NOTE: the older query analyzer plans
 * these small reads ~1 ms faster in the embedded engine (a third of a
 * 1000-point view); answers are the same. NOTE: no JIT: the engine compiles
 * an expression the third time it meets it, in that statement, 40-80 ms
 * (a 17-25 ms run-list order took 59-95 ms on its fourth run, every time;
 * without it every run took 16-29 ms): the p99 of any read repeated.
 */
const READ_SETTINGS: Settings = { enable_analyzer: 0, ...NO_JIT };

export interface EmbeddedOptions {
  /** Data directory (created if missing). */
  path: string;
  /** Where Native blocks are staged for the engine to read: tmpfs when there is one. */
  stagingDir?: string;
  /** Statements run at once, each on a connection of its own; more wait for one (default 6: two reads, the writer's two, two exports). */
  connections?: number;
}

function defaultStaging(): string {
  return existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
}

/**
 * The other process whose engine holds this data directory, or null. NOTE:
 * the engine takes an flock on `<dir>/status` and fails a second process
 * with a raw error (and a line of its own on stderr); asked first, the
 * operator gets one clear line. Read from /proc/locks (Linux); elsewhere null,
 * and the engine's own error follows.
 */
export function dataDirHolder(path: string): { pid: number; since: string } | null {
  let status: string, ino: number, locks: string;
  try {
    const file = join(path, 'status');
    ino = statSync(file).ino;
    status = readFileSync(file, 'utf8');
    locks = readFileSync('/proc/locks', 'utf8');
  } catch {
    return null;
  }
  for (const line of locks.split('\n')) {
    const f = line.trim().split(/\s+/);
    const at = f.findIndex((x) => /^[0-9a-f]+:[0-9a-f]+:\d+$/.test(x));
    if (at < 1 || f[at]!.split(':')[2] !== String(ino)) continue;
    const pid = Number(f[at - 1]);
    if (pid === process.pid || !Number.isInteger(pid)) continue;
    return { pid, since: /^Started at: (.*)$/m.exec(status)?.[1] ?? 'unknown' };
  }
  return null;
}

/**
 * NOTE: one connection runs one statement at a time, so the adapter keeps a
 * few to the same data directory (chdb shares the one engine between them):
 * the store's line (engine-scheduler.ts) decides how many reads run at once,
 * the writer's statements take connections of their own.
 */
export class EmbeddedAdapter implements StoreAdapter {
  readonly kind = 'embedded' as const;
  private readonly idle: Session[] = [];
  private readonly all: Session[] = [];
  private readonly waiting: ((s: Session | null) => void)[] = [];
  private readonly staging: string;
  private readonly maxConnections: number;
  private closed = false;
  /** Writes done (writeEpoch). */
  private writes = 0;

  private constructor(private readonly SessionClass: typeof Session, private readonly path: string, staging: string, opts: EmbeddedOptions) {
    this.staging = staging;
    this.maxConnections = opts.connections ?? 6;
    try {
      this.idle.push(this.connect());
    } catch (err) {
      throw new StoreError(`embedded ClickHouse could not open ${path} (is another process using it?): ${(err as Error).message}`, { cause: err });
    }
  }

  private connect(): Session {
    const s = new this.SessionClass(this.path);
    this.all.push(s);
    return s;
  }

  private acquire(): Promise<Session | null> | Session {
    const s = this.idle.pop();
    if (s) return s;
    if (this.all.length < this.maxConnections) return this.connect();
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private releaseConnection(s: Session): void {
    const next = this.waiting.shift();
    if (next) next(s); else this.idle.push(s);
  }

  private async withSession<T>(f: (s: Session) => Promise<T>): Promise<T> {
    if (this.closed) throw new StoreError('store is closed');
    const s = await this.acquire();
    if (!s) throw new StoreError('store is closed');
    try {
      return await f(s);
    } catch (err) {
      throw new StoreError(`embedded ClickHouse: ${(err as Error).message.split('\n')[0]}`, { cause: err, engineCode: (err as { clickhouseCode?: number }).clickhouseCode });
    } finally {
      this.releaseConnection(s);
    }
  }

  /**
   * NOTE: the engine (a ~150 MB library) is loaded here, on first use, not when
   * the storage module is imported: a gateway process never pays for it.
   */
  static async open(opts: EmbeddedOptions): Promise<EmbeddedAdapter> {
    const { Session } = await import('chdb');
    mkdirSync(opts.path, { recursive: true });
    const root = opts.stagingDir ?? defaultStaging();
    await removeStaleStaging(root);
    const staging = join(root, `stepstream-${process.pid}`);
    await mkdir(staging, { recursive: true });
    return new EmbeddedAdapter(Session, opts.path, staging, opts);
  }

  async command(sql: string, params?: Params, settings?: Settings, opts: { scratch?: boolean } = {}): Promise<void> {
    const run = () => this.run(sql + settingsClause(settings), params, 'Null');
    await (opts.scratch ? run() : this.write(run));
  }

  /** This process is the engine's only user: its own writes are all there are. */
  writeEpoch(): number {
    return this.writes;
  }

  /** A write, counted once done (or failed: part of it may have landed). */
  private async write<T>(w: () => Promise<T>): Promise<T> {
    try {
      return await w();
    } finally {
      this.writes++;
    }
  }

  async query<T>(sql: string, params?: Params, settings?: Settings): Promise<T[]> {
    const text = await this.run(sql + settingsClause({ ...JSON_OUTPUT_SETTINGS, ...READ_SETTINGS, ...settings }), params, 'JSONEachRow');
    if (!text) return [];
    const rows: T[] = [];
    for (const line of text.split('\n')) if (line) rows.push(JSON.parse(line) as T);
    return rows;
  }

  /**
   * NOTE: in the engine's Native format, not JSON: a 100,000-bucket answer
   * was ~10 MB of text decoded and parsed on the event loop (~50 ms of it,
   * with every other project's request waiting); read as bytes, it is a copy.
   */
  async queryColumns(sql: string, params?: Params, settings?: Settings): Promise<Record<string, Float64Array>> {
    const bytes = (await this.exec(sql + settingsClause({ ...READ_SETTINGS, ...settings }), params, 'Native')).bytes();
    try {
      return readNumericColumns(bytes);
    } catch (err) {
      throw new StoreError(`embedded ClickHouse: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Written by the engine INTO OUTFILE a FIFO and read from its other end (fifo-stream.ts). */
  async queryStream(sql: string, params: Params | undefined, settings: Settings | undefined, format: string): Promise<Readable> {
    if (!STREAM_FORMATS.has(format)) throw new StoreError(`not a stream format: ${JSON.stringify(format)}`);
    await mkdir(this.staging, { recursive: true });
    return fifoStream(this.staging, (path) =>
      this.run(`${sql} INTO OUTFILE ${stringLiteral(path)} TRUNCATE FORMAT ${format}${settingsClause(settings)}`, params, 'Null'));
  }

  /**
   * NOTE: chdb's own insert takes text formats only, and parsing decimal text
   * is the dominant cost of an insert. A Native block staged on tmpfs and read
   * by the `file()` table function skips it: the packed doubles of a request
   * are already the bytes the engine wants.
   */
  async insertNative(insert: NativeInsert): Promise<void> {
    await this.write(() => this.insertNativeOnce(insert));
  }

  private async insertNativeOnce(insert: NativeInsert): Promise<void> {
    const file = join(this.staging, `${randomUUID()}.native`);
    // NOTE: one writev of every piece (a block lists a few per series), done
    // on libuv's thread pool: the event loop never copies the block.
    // NOTE: made again if gone (removed by hand, or by a process that could not
    // see this one's pid), rather than failing every insert from then on.
    const fh = await open(file, 'w').catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
      await mkdir(this.staging, { recursive: true });
      return open(file, 'w');
    });
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
    if (rows.length === 0) return;
    await this.write(() => this.withSession((s) => s.insert({ table, values: Buffer.from(rows.map((r) => JSON.stringify(r)).join('\n')), format: 'JSONEachRow', settings: settings ?? {} })));
  }

  private async run(sql: string, params: Params | undefined, format: string): Promise<string> {
    return (await this.exec(sql, params, format)).text();
  }

  private exec(sql: string, params: Params | undefined, format: string): Promise<ChdbResult> {
    // Bound here, not by chdb: see inline-params.ts.
    const text = params && Object.keys(params).length ? inlineParams(sql, params) : sql;
    return this.withSession((s) => s.queryAsync(text, { format }));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // NOTE: chdb defers closing a connection until its running statement is
    // done; statements still waiting for a connection are refused.
    for (const next of this.waiting.splice(0)) next(null);
    for (const s of this.all) s.close();
    await rm(this.staging, { recursive: true, force: true });
  }
}
