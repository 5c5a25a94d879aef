// The spool: batches on disk until the server has them. The layout is the
// one the Python client writes, so either client's sync uploads the other's:
//
//   <root>/<project>/<run id>/<client id>/
//       spool.json                      what the batches belong to (no secrets)
//       .lock                           the pid of the process writing here (spool-lock.ts)
//       00000000000000000042.pb         one IngestRequest, exactly the bytes to POST
//       00000000000000000043~0.pb.gz    (Python) gzipped; first half of batch 43 after a 413
//       rejected/                       batches the server refused for good, with why
//
// A batch file holds the encoded request, so its identity (attempt,
// client_id, sequence) travels with it: sending it again (after a crash,
// from sync) is stored once by the server, as points of the attempt that
// logged them. The name is the sequence, zero-padded, so names sort in
// sending order. Files are written to a temporary name and renamed, so a
// reader never sees half a batch; a file is removed only after a 2xx.
// This client writes plain .pb files (no gzip on the trainer's thread) and
// reads both. The writer holds the directory's lock from its first write
// (an offline run: from init) to finish(); sync skips a spool that is locked.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { LOCK_FILE, lockSpoolDir, unlockSpoolDir } from './spool-lock.js';

export const META_FILE = 'spool.json';
export const REJECTED_DIR = 'rejected';
const BATCH = /^(\d{20})((?:~[01])*)\.pb(\.gz)?$/;

/** A path component for a project or run id, kept readable (same rule as the Python client). */
function safeComponent(name: string): string {
  const s = name.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 120);
  return s === '' || s === '.' || s === '..' ? `_${s}` : s;
}

function batchFileName(sequence: number | bigint): string {
  return `${String(sequence).padStart(20, '0')}.pb`;
}

function writeAtomic(path: string, data: Uint8Array | string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

export interface SpoolMeta {
  format: 1;
  url: string | null;
  project: string;
  run_id: string;
  rank: number;
  /** The attempt of the run the batches belong to (each batch also carries it); absent in spools written before attempts. */
  attempt?: number;
  client_id: string;
  created_ms: number;
  pid: number;
  host: string;
}

/** The spool directory of one writer (client id) of one run, made on first write. */
export class SpoolWriter {
  readonly dir: string;
  private made = false;

  constructor(root: string, private readonly meta: Omit<SpoolMeta, 'format' | 'created_ms' | 'pid' | 'host'>) {
    this.dir = join(root, safeComponent(meta.project), safeComponent(meta.run_id), meta.client_id);
  }

  /**
   * Writes a batch and returns its path. NOTE: synchronous on purpose: the
   * spool is used when memory is full or the server is away, and the batch
   * must be on disk before its memory is let go (also from an 'exit' hook,
   * where nothing asynchronous runs).
   */
  write(sequence: number | bigint, bytes: Uint8Array): string {
    try {
      return this.writeOnce(sequence, bytes);
    } catch (err) {
      if ((err as { code?: string }).code !== 'ENOENT') throw err;
      this.release(); // the directory was removed under us (by hand): make it again
      return this.writeOnce(sequence, bytes);
    }
  }

  /**
   * Makes the directory and takes its lock, if not done yet. Throws
   * SS_ERR_CLIENT_SPOOL_LOCKED when another live process holds it.
   */
  open(): void {
    if (this.made) return;
    mkdirSync(this.dir, { recursive: true });
    lockSpoolDir(this.dir);
    try {
      const meta: SpoolMeta = { format: 1, ...this.meta, created_ms: Date.now(), pid: process.pid, host: hostname() };
      writeAtomic(join(this.dir, META_FILE), JSON.stringify(meta, null, 2) + '\n');
    } catch (err) {
      unlockSpoolDir(this.dir);
      throw err;
    }
    this.made = true;
  }

  /** Lets the lock go (finish, exit); a later write takes it again. */
  release(): void {
    this.made = false;
    unlockSpoolDir(this.dir);
  }

  private writeOnce(sequence: number | bigint, bytes: Uint8Array): string {
    this.open();
    const path = join(this.dir, batchFileName(sequence));
    writeAtomic(path, bytes);
    return path;
  }
}

export interface BatchFile {
  bytes: Buffer;
  /** The file holds a gzip body (.pb.gz), to be sent with Content-Encoding: gzip as it is. */
  gzipped: boolean;
}

export function readBatchFile(path: string): BatchFile {
  return { bytes: readFileSync(path), gzipped: path.endsWith('.gz') };
}

/** Removes a batch the server has acknowledged. */
export function removeBatchFile(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as { code?: string }).code !== 'ENOENT') throw err;
  }
}

/** Moves a refused batch to rejected/ (kept, never sent again by sync) with the reason beside it. */
export function rejectBatchFile(path: string, reason: string, status?: number): string {
  const dir = join(dirname(path), REJECTED_DIR);
  mkdirSync(dir, { recursive: true });
  const target = join(dir, basename(path));
  writeAtomic(`${target}.error.json`, JSON.stringify({ status: status ?? null, answer: reason, time_ms: Date.now() }, null, 2) + '\n');
  renameSync(path, target);
  return target;
}

/**
 * Removes a writer's spool directory once nothing is left in it to send or
 * to look at (no batches, no rejected/), then the run and project
 * directories above it if they are empty. True if removed.
 */
export function cleanupSpoolDir(dir: string): boolean {
  if (!existsSync(dir)) return true;
  const names = readdirSync(dir);
  if (names.some((n) => BATCH.test(n) || n === REJECTED_DIR)) return false;
  for (const n of [META_FILE, LOCK_FILE]) removeBatchFile(join(dir, n));
  try {
    rmdirSync(dir);
  } catch {
    return false; // something else lives here: leave it
  }
  let parent = dirname(dir);
  for (let i = 0; i < 2; i++) {
    try { rmdirSync(parent); } catch { break; }
    parent = dirname(parent);
  }
  return true;
}

/** The url a spool was written for (from its spool.json), if it says. */
export function spoolUrl(dir: string): string | undefined {
  try {
    const meta = JSON.parse(readFileSync(join(dir, META_FILE), 'utf8')) as Partial<SpoolMeta>;
    return typeof meta.url === 'string' && meta.url !== '' ? meta.url : undefined;
  } catch {
    return undefined;
  }
}

/** Every directory under `root` holding pending batches, each with its files in sending order. */
export function listSpool(root: string): { dir: string; files: string[] }[] {
  const out: { dir: string; files: string[] }[] = [];
  const walk = (dir: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return;
      throw err;
    }
    const files = names.filter((n) => BATCH.test(n)).map((n) => join(dir, n));
    if (files.length > 0) out.push({ dir, files });
    for (const n of names) {
      if (n === REJECTED_DIR || BATCH.test(n) || n.startsWith('.')) continue;
      const p = join(dir, n);
      if (statSync(p).isDirectory()) walk(p);
    }
  };
  walk(root);
  return out;
}
