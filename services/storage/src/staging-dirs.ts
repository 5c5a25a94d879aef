// The embedded engine's staging directories (`stepstream-<pid>` under tmpfs),
// where each process stages its Native blocks: cleaned of dead processes'.
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Removes the staging directories (`stepstream-<pid>`) of processes that are
 * gone: a process killed with SIGKILL leaves its blocks behind, in memory on
 * tmpfs. Returns the directories removed.
 *
 * NOTE: only a pid that does not exist (ESRCH) counts as gone. A live pid is
 * kept whoever runs it (another Stepstream, or an unrelated process that got
 * a dead one's pid: a leak until it ends, never a removal under a live writer);
 * EPERM means alive under another user.
 */
export async function removeStaleStaging(root: string, alive: (pid: number) => boolean = pidAlive): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(root);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = /^stepstream-(\d+)$/.exec(name);
    const pid = m ? Number(m[1]) : 0;
    if (pid <= 0 || pid === process.pid || alive(pid)) continue;
    await rm(join(root, name), { recursive: true, force: true });
    removed.push(join(root, name));
  }
  return removed;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}
