// Reopening a write-ahead log directory: the messages not yet committed, the
// delivery planned before a crash, where numbering goes on, and the log's id.
import { randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SourceMessage } from '../types.js';
import { COMMIT, DATA, MIN_DATA_RECORD, PLAN } from './record.js';
import { SegmentLog, type SegmentLogOptions } from './segment-log.js';
import { SeqFloor } from './seq-floor.js';

/** A message held by the queue, with its place in the log and what it counts against the bounds. */
export interface QueuedMessage { msg: SourceMessage; seq: number; points: number; bytes: number }
/** The data records [first, last] of one delivery. */
export interface SeqRange { first: number; last: number }

export interface ReopenedLog {
  wal: SegmentLog;
  floor: SeqFloor;
  /** Names the log in delivery tokens: a random id kept in the directory. */
  id: string;
  /** The seq the next message gets. */
  nextSeq: number;
  /** The messages after the last COMMIT, in log order, copied off the segment buffers. */
  pending: QueuedMessage[];
  /** A delivery planned and not committed before the process stopped: the next delivery must be exactly this. */
  plan: SeqRange | null;
}

export async function reopenLog(opts: SegmentLogOptions): Promise<ReopenedLog> {
  const data: QueuedMessage[] = [];
  let committed = -1, maxSeq = -1, plan: SeqRange | null = null;
  const wal = await SegmentLog.open(opts, (r) => {
    if (r.type === DATA) {
      data.push({ seq: r.seq, points: r.points, bytes: r.value.byteLength, msg: { value: r.value, receivedMs: r.receivedMs, origin: `wal:${r.seq}` } });
    } else if (r.type === PLAN) {
      plan = { first: r.first, last: r.last };
    } else if (r.type === COMMIT) {
      committed = Math.max(committed, r.last);
    }
    maxSeq = Math.max(maxSeq, r.type === DATA ? r.seq : r.last);
  });
  const floor = await SeqFloor.open(opts.dir, opts.fsync === 'batch', opts.log);
  let nextSeq = Math.max(maxSeq + 1, wal.floorSeq, floor.value);
  if (wal.cut) {
    // NOTE: the cut bytes may have held records numbered from nextSeq on
    // (numbering is contiguous within a run), at most one per smallest
    // record: skip past all of them, for good, so no seq is given twice.
    nextSeq += Math.ceil((wal.cut.to - wal.cut.from) / MIN_DATA_RECORD);
    await floor.raise(nextSeq);
  }
  const pending: QueuedMessage[] = [];
  for (const it of data) {
    if (it.seq <= committed) continue;
    // Copied off the segment buffer, so that buffer is not kept alive.
    it.msg.value = new Uint8Array(it.msg.value);
    pending.push(it);
  }
  const p = plan as SeqRange | null;
  return { wal, floor, id: await logId(opts.dir), nextSeq, pending, plan: p && p.first > committed ? p : null };
}

/** The log's identity, made once per directory and kept beside the segments. */
async function logId(dir: string): Promise<string> {
  const path = join(dir, 'wal-id');
  try {
    const id = (await readFile(path, 'utf8')).trim();
    if (/^[0-9a-f]{12}$/.test(id)) return id;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const id = randomBytes(6).toString('hex');
  await writeFile(`${path}.tmp`, id);
  await rename(`${path}.tmp`, path);
  return id;
}
