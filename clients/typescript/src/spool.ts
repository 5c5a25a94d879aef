// The spool: batches on disk, waiting to be sent. Layout, one directory per
// writer process so a spool can be read without any index:
//
//   <root>/<project>/<run id>/<client id>/00000000000000000007.pb
//
// Each .pb file is one encoded IngestRequest, exactly the bytes that would
// be POSTed before gzip, with its (client_id, sequence) inside; the file name
// is the sequence, zero-padded so names sort in sending order. A file is
// written to a .tmp name and renamed, so a crash never leaves half a batch
// under a .pb name. A batch the server refused for good is renamed
// .rejected.pb beside a .rejected.json saying why; nothing is ever deleted
// before the server has acknowledged it.
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const PENDING = /^\d{20}\.pb$/;

/** A path segment safe on every filesystem, still readable. */
export function safeSegment(s: string): string {
  const cleaned = s.replace(/[^A-Za-z0-9_.=-]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return cleaned === '' || cleaned === '.' || cleaned === '..' ? `%${cleaned}` : cleaned;
}

export function sequenceFileName(sequence: number | bigint): string {
  return `${String(sequence).padStart(20, '0')}.pb`;
}

/** The spool directory of one writer (client id) of one run. */
export class SpoolWriter {
  readonly dir: string;
  private made = false;

  constructor(root: string, project: string, runId: string, clientId: string) {
    this.dir = join(root, safeSegment(project), safeSegment(runId), safeSegment(clientId));
  }

  /**
   * Writes a batch and returns its path. NOTE: synchronous on purpose: the
   * spool is used when memory is full or the server is away, and the batch
   * must be on disk before its memory is let go (also from an 'exit' hook,
   * where nothing asynchronous runs).
   */
  write(sequence: number | bigint, bytes: Uint8Array): string {
    if (!this.made) { mkdirSync(this.dir, { recursive: true }); this.made = true; }
    const path = join(this.dir, sequenceFileName(sequence));
    const tmp = `${path}.tmp`;
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
    return path;
  }
}

export function readBatchFile(path: string): Buffer {
  return readFileSync(path);
}

/** Removes a batch the server has acknowledged. */
export function removeBatchFile(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as { code?: string }).code !== 'ENOENT') throw err;
  }
}

/** Sets a refused batch aside (kept, never sent again by sync) with the reason beside it. */
export function rejectBatchFile(path: string, reason: string): string {
  const rejected = path.replace(/\.pb$/, '.rejected.pb');
  writeFileSync(rejected.replace(/\.pb$/, '.json'), JSON.stringify({ reason, at: new Date().toISOString() }, null, 2) + '\n');
  renameSync(path, rejected);
  return rejected;
}

/** Every directory under `root` holding pending batches, each with its files in sending order. */
export function listSpool(root: string): { dir: string; files: string[] }[] {
  const out: { dir: string; files: string[] }[] = [];
  const walk = (dir: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return;
      throw err;
    }
    const files = names.filter((n) => PENDING.test(n)).sort().map((n) => join(dir, n));
    if (files.length > 0) out.push({ dir, files });
    for (const n of names.sort()) {
      const p = join(dir, n);
      if (!PENDING.test(n) && !n.endsWith('.tmp') && !n.endsWith('.json') && statSync(p).isDirectory()) walk(p);
    }
  };
  walk(root);
  return out;
}
