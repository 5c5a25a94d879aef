// The lock on a spool directory, with the Python client's semantics: one
// process writes a spool directory, and sync skips one a live process holds
// ("<dir> is in use by a running process (pid N)"). A lock left by a process
// that died (a crash, kill -9) is taken over.
//
// NOTE: Node has no flock(2), so the lock is the file itself: `.lock`,
// created atomically with the holder's pid in it (a temporary file
// hard-linked to the name, which fails if the name exists), held while the
// pid it names is alive, and removed on release. An empty `.lock` is free
// (the Python client empties it when it lets go). Pids are this machine's:
// two hosts (or two pid namespaces) sharing one spool directory are not
// told apart, and two processes taking over one stale lock at the same
// instant can both get it; give each writer its own client id, as the
// default does.
import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StepstreamError } from './errors.js';

export const LOCK_FILE = '.lock';

/** Lock files this process holds: a second lock on one of them is refused, as a second flock is. */
const held = new Set<string>();

function errCode(err: unknown): string | undefined {
  return (err as { code?: string }).code;
}

function unlinkQuiet(path: string): void {
  try { unlinkSync(path); } catch (err) { if (errCode(err) !== 'ENOENT') throw err; }
}

/** The pid a lock file names; undefined when there is no file or no pid in it. */
function holderOf(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return pid > 0 ? pid : undefined;
  } catch (err) {
    if (errCode(err) === 'ENOENT') return undefined;
    throw err;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errCode(err) === 'EPERM'; // alive, someone else's
  }
}

function lockedError(dir: string, pid: number | undefined): StepstreamError {
  return new StepstreamError('SS_ERR_CLIENT_SPOOL_LOCKED', `${dir} is in use by a running process${pid === undefined ? '' : ` (pid ${pid})`}`);
}

/** Takes `dir`'s lock (the directory must exist); throws SS_ERR_CLIENT_SPOOL_LOCKED if a live process holds it. */
export function lockSpoolDir(dir: string): void {
  const path = join(dir, LOCK_FILE);
  if (held.has(path)) throw lockedError(dir, process.pid);
  const tmp = join(dir, `${LOCK_FILE}.${process.pid}.tmp`);
  writeFileSync(tmp, String(process.pid));
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        linkSync(tmp, path);
        held.add(path);
        return;
      } catch (err) {
        if (errCode(err) !== 'EEXIST') throw err;
      }
      const pid = holderOf(path);
      // NOTE: our own pid in a lock we do not hold is an earlier life of
      // this pid (pid 1 in a restarted container): as stale as a dead one.
      if (attempt > 0 || (pid !== undefined && pid !== process.pid && isAlive(pid))) throw lockedError(dir, pid);
      unlinkQuiet(path); // stale: take it over (once; if another process is quicker, it has it)
    }
  } finally {
    unlinkQuiet(tmp);
  }
}

/** Lets `dir`'s lock go (a no-op if this process does not hold it). */
export function unlockSpoolDir(dir: string): void {
  const path = join(dir, LOCK_FILE);
  if (!held.delete(path)) return;
  if (holderOf(path) === process.pid) unlinkQuiet(path);
}
