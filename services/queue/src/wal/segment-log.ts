// The files of the write-ahead log: a directory of segments named by the
// first data sequence number they may hold, appended to through one file
// handle with positional writes, rotated by size, deleted once committed.
import { mkdir, open, readFile, readdir, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { DATA, scanSegment, type Damage, type WalRecord } from './record.js';

export interface SegmentLogOptions {
  dir: string;
  segmentBytes: number;
  fsync: 'none' | 'batch';
  log?: Logger;
  /** The command that repairs this log, named when it is damaged. */
  repairHint?: string;
}

interface Segment {
  /** Every data record in an earlier segment has a lower seq; none here has a lower one. */
  base: number;
  path: string;
  size: number;
  /** Highest data seq written here; base - 1 while there is none. */
  maxSeq: number;
}

interface Pending { parts: Uint8Array[]; seq: number; resolve: () => void; reject: (err: unknown) => void }

const SEGMENT = /^(\d{16})\.wal$/;
const nameOf = (base: number) => `${String(base).padStart(16, '0')}.wal`;
export const baseOf = (name: string) => Number(SEGMENT.exec(name)![1]);

/** The segment files of `dir`, oldest first (fixed-width names: lexical order is seq order). */
export async function segmentNames(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => SEGMENT.test(n)).sort();
}

/** Damage the log cannot step over by itself: acknowledged records follow it. */
export class WalDamagedError extends Error {
  readonly code = 'SS_ERR_WAL_DAMAGED';
  constructor(readonly segment: string, readonly offset: number, readonly length: number, readonly recordsAfter: number, readonly repairHint: string) {
    super(`write-ahead log segment ${segment} is damaged at byte ${offset} (${length} unreadable bytes), and ${recordsAfter} valid records follow it: `
      + `they hold acknowledged batches, so the log is not cut there and startup stops. Repair it with \`${repairHint}\`: `
      + 'it keeps every valid record, sets the damaged bytes aside for inspection and reports the sequence numbers lost.');
    this.name = 'WalDamagedError';
  }
}

export class SegmentLog {
  private pending: Pending[] = [];
  private flushing: Promise<void> | null = null;
  private closed = false;
  private closing: Promise<void> | null = null;
  /** Set when a failed write could not be undone: the file no longer ends on a record boundary. */
  broken: Error | null = null;

  private constructor(private readonly opts: SegmentLogOptions, private readonly segments: Segment[], private fh: FileHandle, readonly cut: Damage | null) {}

  /**
   * Opens the log in `dir`, passing every record to `onRecord` in log order.
   * A torn tail of the last segment (nothing readable after it) is cut off;
   * damage anywhere else throws a WalDamagedError, since records after it were
   * acknowledged: `repairWal` keeps them and sets the damage aside.
   */
  static async open(opts: SegmentLogOptions, onRecord: (r: WalRecord) => void): Promise<SegmentLog> {
    await mkdir(opts.dir, { recursive: true });
    const names = await segmentNames(opts.dir);
    const segments: Segment[] = [];
    let tail: Damage | null = null;
    let damaged: { segment: string; at: Damage; after: number } | null = null;
    for (const [i, name] of names.entries()) {
      const path = join(opts.dir, name);
      const base = baseOf(name);
      const seg: Segment = { base, path, size: 0, maxSeq: base - 1 };
      const buf = await readFile(path);
      let records = 0;
      const scan = scanSegment(buf, (r) => {
        if (r.type === DATA && r.seq > seg.maxSeq) seg.maxSeq = r.seq;
        records++;
        onRecord(r);
      });
      seg.size = scan.validEnd;
      segments.push(seg);
      const [first] = scan.damage;
      if (damaged) {
        damaged.after += records;
      } else if (first && i === names.length - 1 && scan.recordsAfterDamage === 0) {
        // NOTE: a process killed during a write leaves part of a record. Its
        // send() had not resolved (it resolves only after the write returned),
        // so the client got no 202 for it: dropping it loses nothing promised.
        // Nothing readable follows, so it cannot be damage in the middle.
        opts.log?.warn({ segment: path, validBytes: first.from, droppedBytes: buf.length - first.from }, 'cut off a torn record at the end of the write-ahead log');
        tail = first;
      } else if (first) {
        damaged = { segment: path, at: first, after: scan.recordsAfterDamage };
      }
    }
    if (damaged) {
      const { segment, at, after } = damaged;
      throw new WalDamagedError(segment, at.from, at.to - at.from, after, opts.repairHint ?? `repairWal('${opts.dir}')`);
    }
    if (segments.length === 0) {
      segments.push({ base: 0, path: join(opts.dir, nameOf(0)), size: 0, maxSeq: -1 });
      await (await open(segments[0]!.path, 'wx')).close();
      if (opts.fsync === 'batch') await syncDir(opts.dir);
    }
    const fh = await open(segments.at(-1)!.path, 'r+');
    if (tail) await fh.truncate(tail.from);
    return new SegmentLog(opts, segments, fh, tail);
  }

  /** No data record with a lower seq was ever written (the active segment outlives deletions). */
  get floorSeq(): number {
    return this.segments.at(-1)!.base;
  }

  /**
   * Appends one record (its parts written back to back); resolves once it is
   * in the file (and on disk, with fsync 'batch'). `seq` is the data seq, or -1.
   */
  append(parts: Uint8Array[], seq = -1): Promise<void> {
    if (this.closed) return Promise.reject(new Error('write-ahead log is closed'));
    if (this.broken) return Promise.reject(this.broken);
    return new Promise((resolve, reject) => {
      this.pending.push({ parts, seq, resolve, reject });
      this.flushing ??= this.flush();
    });
  }

  // NOTE: group commit. One write is in flight at a time; records appended
  // meanwhile wait in `pending` and all go out in the next writev, so the
  // syscalls (and fsyncs) per second stay flat however many requests there
  // are. Groups are written in append order, so a record in the file implies
  // every record appended before it is there too.
  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const group = this.pending.splice(0);
      try {
        if (this.broken) throw this.broken;
        await this.write(group);
        for (const g of group) g.resolve();
      } catch (err) {
        for (const g of group) g.reject(err);
      }
    }
    this.flushing = null;
  }

  private async write(group: Pending[]): Promise<void> {
    let seg = this.segments.at(-1)!;
    // Rotate only a segment holding data, so bases strictly increase.
    if (seg.size >= this.opts.segmentBytes && seg.maxSeq >= seg.base) seg = await this.rotate(seg.maxSeq + 1);
    const parts = group.flatMap((g) => g.parts);
    const bytes = parts.reduce((n, p) => n + p.byteLength, 0);
    const at = seg.size;
    try {
      const { bytesWritten } = await this.fh.writev(parts, at);
      if (bytesWritten !== bytes) throw new Error(`short write to ${seg.path}: ${bytesWritten} of ${bytes} bytes`);
      if (this.opts.fsync === 'batch') await this.fh.datasync();
    } catch (err) {
      // NOTE: undo a partial write, so the next group starts on a record
      // boundary; if even that fails, no later record could be read back.
      try {
        await this.fh.truncate(at);
      } catch (cause) {
        this.broken = new Error(`write-ahead log ${seg.path} could not be repaired after a failed write`, { cause });
        this.opts.log?.error({ err: this.broken }, 'write-ahead log broken');
      }
      throw err;
    }
    seg.size = at + bytes;
    for (const g of group) if (g.seq > seg.maxSeq) seg.maxSeq = g.seq;
  }

  private async rotate(base: number): Promise<Segment> {
    const seg: Segment = { base, path: join(this.opts.dir, nameOf(base)), size: 0, maxSeq: base - 1 };
    const fh = await open(seg.path, 'wx+');
    if (this.opts.fsync === 'batch') await syncDir(this.opts.dir);
    const old = this.fh;
    this.fh = fh;
    this.segments.push(seg);
    await old.close();
    return seg;
  }

  /** Deletes the segments (never the active one) whose data all has seq <= committed. */
  async dropCommitted(committed: number): Promise<void> {
    while (this.segments.length > 1 && this.segments[0]!.maxSeq <= committed) {
      const seg = this.segments.shift()!;
      try {
        await unlink(seg.path);
      } catch (err) {
        this.opts.log?.warn({ err, segment: seg.path }, 'could not delete a committed write-ahead log segment');
      }
    }
  }

  segmentCount(): number {
    return this.segments.length;
  }

  /** Waits for the writes in flight, then closes the file. Idempotent. */
  close(): Promise<void> {
    return (this.closing ??= (async () => {
      this.closed = true;
      while (this.flushing) await this.flushing;
      await this.fh.close();
    })());
  }
}

async function syncDir(dir: string): Promise<void> {
  const d = await open(dir, 'r');
  try { await d.sync(); } finally { await d.close(); }
}
