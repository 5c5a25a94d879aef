// The dead letters of the all-in-one target: messages the writer could not
// store, kept in an append-only file of the data directory, framed and
// checksummed as the write-ahead log's records are (wal/record.ts), until an
// operator replays them (`stepstream dead-letters replay`).
//
// A record's body is [type u8][u32 header length][header JSON][message bytes]:
//   LETTER   1  header {id, timeMs, reason, origin, token, landed, receivedMs}, the original request bytes
//   REPLAYED 2  header {id, timeMs}: the letter was stored by a replay
import { mkdir, open, readFile, rename, truncate, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { SourceMessage } from './types.js';
import { encodeFrame, frameAt } from './wal/record.js';

const LETTER = 1, REPLAYED = 2;
const FILE = 'letters.log';

/** Where a dead letter stood when the writer gave up on it: what a replay needs to store it exactly once. */
export interface DeadLetterPlace {
  /** Token of the write set the message was last refused in (a replay reuses it: repeats are dropped). */
  token: string;
  /** Parts of the store (store.ts WritePart) that already hold the message's rows, stored with the rest of its delivery. */
  landed: readonly string[];
}

export interface DeadLetter extends DeadLetterPlace {
  /** Unique among the letters the file holds; numbered from 1. */
  id: number;
  timeMs: number;
  reason: string;
  origin: string;
  receivedMs: number;
  /** The request bytes exactly as the queue held them. */
  value: Uint8Array;
  /** When a replay stored it; null while pending. */
  replayedMs: number | null;
}

export class DeadLettersFullError extends Error {
  readonly code = 'SS_ERR_DEAD_LETTERS_FULL';
  constructor(readonly limit: number, bytes: number) {
    super(`the dead letters hold ${bytes} bytes, the most they may (${limit}): the writer stops until they are replayed (stepstream dead-letters replay)`);
    this.name = 'DeadLettersFullError';
  }
}

export interface DeadLetterLogOptions {
  /** Directory of the file, e.g. `<data>/dead-letters`; created when missing. One writing process at a time. */
  dir: string;
  /** Bytes the file may hold at most; past it send() rejects with DeadLettersFullError and nothing is dropped. */
  maxBytes: number;
  /** fsync after each record (to survive power loss, as the log's `--wal-fsync=batch`). */
  fsync?: boolean;
  log?: Logger;
}

interface Scan { letters: DeadLetter[]; validEnd: number; size: number }

function scan(buf: Buffer): Scan {
  const letters = new Map<number, DeadLetter>();
  let off = 0;
  while (off < buf.length) {
    const f = frameAt(buf, off);
    if (!f || f.body.length < 5) break;
    const headLen = f.body.readUInt32LE(1);
    if (5 + headLen > f.body.length) break;
    const head = JSON.parse(f.body.subarray(5, 5 + headLen).toString('utf8')) as Omit<DeadLetter, 'value' | 'replayedMs'>;
    if (f.body[0] === LETTER) {
      letters.set(head.id, { ...head, value: new Uint8Array(f.body.subarray(5 + headLen)), replayedMs: null });
    } else if (f.body[0] === REPLAYED) {
      const l = letters.get(head.id);
      if (l) l.replayedMs = head.timeMs;
    }
    off += f.bytes;
  }
  return { letters: [...letters.values()], validEnd: off, size: buf.length };
}

function encode(type: number, head: object, value?: Uint8Array): Uint8Array[] {
  const json = Buffer.from(JSON.stringify(head), 'utf8');
  const pre = Buffer.allocUnsafe(5);
  pre.writeUInt8(type, 0);
  pre.writeUInt32LE(json.length, 1);
  return encodeFrame(value ? [pre, json, value] : [pre, json]);
}

const byteLength = (parts: Uint8Array[]) => parts.reduce((n, p) => n + p.byteLength, 0);

/** Every letter the file in `dir` holds, oldest first (a torn tail, e.g. a record being written, is left out). */
export async function readDeadLetters(dir: string): Promise<DeadLetter[]> {
  try {
    return scan(await readFile(join(dir, FILE))).letters;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

const recordOf = (l: DeadLetter) => encode(LETTER, { id: l.id, timeMs: l.timeMs, reason: l.reason, origin: l.origin, token: l.token, landed: l.landed, receivedMs: l.receivedMs }, l.value);

/** Rewrites the file with these letters only, atomically (a new file renamed over the old). */
async function rewrite(path: string, letters: readonly DeadLetter[]): Promise<void> {
  const tmp = `${path}.tmp`;
  const out = await open(tmp, 'w');
  try {
    await out.writev(letters.flatMap(recordOf));
    await out.sync();
  } finally {
    await out.close();
  }
  await rename(tmp, path);
}

export class DeadLetterLog {
  private constructor(
    private readonly opts: DeadLetterLogOptions, private readonly fh: FileHandle, private nextId: number,
    private readonly tokens: Set<string>, private readonly pending: Map<number, number>,
  ) {}

  /**
   * Opens the file for appending. Letters replayed since the last open are
   * dropped from it here (until then `dead-letters list` shows them as replayed).
   * NOTE: a record cut short by a crash can only be the last one (one
   * appending process); it is cut off, its bytes set aside beside the file
   * (never deleted: were it damage further up, what followed is still there).
   */
  static async open(opts: DeadLetterLogOptions): Promise<DeadLetterLog> {
    await mkdir(opts.dir, { recursive: true });
    const path = join(opts.dir, FILE);
    let buf: Buffer;
    try {
      buf = await readFile(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      buf = Buffer.alloc(0);
    }
    const s = scan(buf);
    if (s.validEnd < buf.length) {
      const aside = join(opts.dir, `damaged-${Date.now()}-${s.validEnd}.bin`);
      await writeFile(aside, buf.subarray(s.validEnd));
      await truncate(path, s.validEnd);
      opts.log?.warn({ file: path, at: s.validEnd, bytes: buf.length - s.validEnd, savedAs: aside }, 'dead letters: unreadable tail cut off and set aside');
    }
    const keep = s.letters.filter((l) => l.replayedMs === null);
    if (keep.length < s.letters.length) await rewrite(path, keep);
    const fh = await open(path, 'a');
    const pending = new Map(keep.map((l) => [l.id, byteLength(recordOf(l))]));
    const nextId = s.letters.reduce((m, l) => Math.max(m, l.id), 0) + 1;
    return new DeadLetterLog(opts, fh, nextId, new Set(keep.map((l) => l.token)), pending);
  }

  /**
   * Appends a letter; resolves once written. A letter of a token already held
   * is not written twice (the writer sends again after a crash or a retry).
   */
  async send(message: SourceMessage, reason: string, place: DeadLetterPlace): Promise<void> {
    if (this.tokens.has(place.token)) return;
    const id = this.nextId;
    const parts = encode(LETTER, { id, timeMs: Date.now(), reason, origin: message.origin, token: place.token, landed: place.landed, receivedMs: message.receivedMs }, message.value);
    const bytes = byteLength(parts), held = this.bytes();
    if (held + bytes > this.opts.maxBytes) throw new DeadLettersFullError(this.opts.maxBytes, held);
    await this.append(parts);
    this.nextId++;
    this.tokens.add(place.token);
    this.pending.set(id, bytes);
  }

  /** Records that a replay stored the letter `id`: its bytes no longer count against the bound. */
  async markReplayed(id: number): Promise<void> {
    if (!this.pending.has(id)) return;
    await this.append(encode(REPLAYED, { id, timeMs: Date.now() }));
    this.pending.delete(id);
  }

  /** Letters not replayed and their bytes (what the bound counts), for metrics. */
  stats(): { pending: number; bytes: number; maxBytes: number } {
    return { pending: this.pending.size, bytes: this.bytes(), maxBytes: this.opts.maxBytes };
  }

  async close(): Promise<void> {
    await this.fh.close();
  }

  private bytes(): number {
    let n = 0;
    for (const b of this.pending.values()) n += b;
    return n;
  }

  private async append(parts: Uint8Array[]): Promise<void> {
    await this.fh.writev(parts);
    if (this.opts.fsync) await this.fh.sync();
  }
}
