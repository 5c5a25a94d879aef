// The lowest sequence number a new batch may get, kept in `wal-seq` beside
// the segments. The log itself says where numbering goes on (its highest seq,
// the active segment's base), but not once bytes were cut from it: a store
// that has seen `wal:<id>:10-19` must never see that token name other batches.
// So the floor is raised past a range before its PLAN is written (the store
// only ever sees planned ranges), and past whatever cut bytes could have held.
//
// The file is 16 bytes, written in place: value f64, crc32 of it u32, zero u32.
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { crc32 } from './record.js';

export class SeqFloor {
  private constructor(private readonly fh: FileHandle, private readonly fsync: boolean, public value: number) {}

  static async open(dir: string, fsync: boolean, log?: Logger): Promise<SeqFloor> {
    const path = join(dir, 'wal-seq');
    const fh = await open(path, 'r+').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return open(path, 'w+');
      throw err;
    });
    const buf = Buffer.alloc(16);
    const { bytesRead } = await fh.read(buf, 0, 16, 0);
    let value = 0;
    if (bytesRead === 16 && crc32(buf.subarray(0, 8)) === buf.readUInt32LE(8)) {
      value = buf.readDoubleLE(0);
    } else if (bytesRead > 0) {
      // NOTE: only a torn write of this file itself gets here; the log's own
      // records still bound the numbering, so starting is safer than refusing.
      log?.warn({ path, bytesRead }, 'unreadable sequence floor of the write-ahead log: numbering goes on from the log alone');
    }
    return new SeqFloor(fh, fsync, value);
  }

  /** Makes sure no batch ever gets a seq below `value` again. */
  async raise(value: number): Promise<void> {
    if (value <= this.value) return;
    const buf = Buffer.alloc(16);
    buf.writeDoubleLE(value, 0);
    buf.writeUInt32LE(crc32(buf.subarray(0, 8)), 8);
    await this.fh.write(buf, 0, 16, 0);
    if (this.fsync) await this.fh.datasync();
    this.value = value;
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}
