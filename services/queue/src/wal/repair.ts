// Repairs a damaged write-ahead log (`stepstream wal-repair`): keeps every
// valid record, moves the unreadable bytes to damaged/ for inspection, says
// which sequence numbers may have been lost, and raises the sequence floor
// past them so they are never given again. Run it while no process has the
// log open.
import { mkdir, open, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { COMMIT, DATA, MIN_DATA_RECORD, scanSegment } from './record.js';
import { baseOf, segmentNames } from './segment-log.js';
import { SeqFloor } from './seq-floor.js';

export interface WalRepairReport {
  /** Each damaged stretch: its segment, bytes [from, to), and the file that now holds those bytes. */
  damage: { segment: string; from: number; to: number; savedAs: string }[];
  /** Valid records kept, in every segment. */
  records: number;
  /**
   * Sequence numbers whose batches may have been in the damaged bytes and were
   * not yet stored (numbers already committed are left out): at most these
   * acknowledged batches are lost. Empty when nothing was.
   */
  lost: { first: number; last: number }[];
  /** The lowest sequence number a new batch can get from now on. */
  nextSeq: number;
}

interface Gap { base: number; bytes: number; prevSeq: number; nextSeq: number | null }

export async function repairWal(dir: string, opts: { fsync?: boolean } = {}): Promise<WalRepairReport> {
  const fsync = opts.fsync ?? true;
  const report: WalRepairReport = { damage: [], records: 0, lost: [], nextSeq: 0 };
  const gaps: Gap[] = [];
  let waiting: Gap[] = [];
  let committed = -1, lastSeq = -1;
  const floor = await SeqFloor.open(dir, fsync);
  try {
    for (const name of await segmentNames(dir)) {
      const path = join(dir, name);
      const buf = await readFile(path);
      const scan = scanSegment(buf, (r) => {
        report.records++;
        if (r.type === COMMIT) committed = Math.max(committed, r.last);
        if (r.type !== DATA) return;
        // The first data record after a gap bounds the numbers it can have held.
        for (const g of waiting) g.nextSeq = r.seq;
        waiting = [];
        lastSeq = r.seq;
      }, (d) => {
        const g: Gap = { base: baseOf(name), bytes: d.to - d.from, prevSeq: lastSeq, nextSeq: null };
        gaps.push(g);
        waiting.push(g);
      });
      if (scan.damage.length === 0) continue;
      await mkdir(join(dir, 'damaged'), { recursive: true });
      const kept: Buffer[] = [];
      let off = 0;
      for (const d of scan.damage) {
        const savedAs = join(dir, 'damaged', `${name}.${d.from}-${d.to}`);
        await writeFile(savedAs, buf.subarray(d.from, d.to));
        report.damage.push({ segment: path, from: d.from, to: d.to, savedAs });
        kept.push(buf.subarray(off, d.from));
        off = d.to;
      }
      kept.push(buf.subarray(off));
      await replaceFile(path, kept, fsync);
    }
    // NOTE: with nothing after a gap, its numbers are bounded only by its size:
    // numbering is contiguous within a run, one number per smallest record.
    let next = Math.max(lastSeq + 1, floor.value);
    for (const g of gaps) {
      const lo = Math.max(g.prevSeq + 1, g.base);
      const hi = g.nextSeq !== null ? g.nextSeq - 1 : Math.max(lo, next) + Math.ceil(g.bytes / MIN_DATA_RECORD) - 1;
      next = Math.max(next, hi + 1);
      const first = Math.max(lo, committed + 1);
      if (first <= hi) report.lost.push({ first, last: hi });
    }
    await floor.raise(next);
    report.nextSeq = Math.max(next, floor.value);
    return report;
  } finally {
    await floor.close();
  }
}

/** Writes `parts` to a new file, then renames it over `path`, so a crash leaves the old file or the new one. */
async function replaceFile(path: string, parts: Buffer[], fsync: boolean): Promise<void> {
  const tmp = `${path}.repair`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writev(parts);
    if (fsync) await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  if (fsync) {
    const d = await open(dirname(path), 'r');
    try { await d.sync(); } finally { await d.close(); }
  }
}
