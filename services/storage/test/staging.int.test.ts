// Staging directories of killed processes are removed at the next start; a
// live process's never is.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedAdapter, removeStaleStaging } from '../src/index.js';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c(); });

function temp(): string {
  const d = mkdtempSync(join(tmpdir(), 'ss-staging-'));
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** The pid of a process that has exited (and been reaped). */
async function deadPid(): Promise<number> {
  const p = spawn(process.execPath, ['-e', '']);
  await new Promise((r) => p.once('exit', r));
  return p.pid!;
}

function staged(root: string, name: string): void {
  mkdirSync(join(root, name));
  writeFileSync(join(root, name, 'block.native'), Buffer.alloc(1024));
}

describe('staging directories', () => {
  it('removes those of processes that are gone, and keeps every live one and anything else', async () => {
    const root = temp();
    const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    cleanups.push(() => { live.kill('SIGKILL'); });
    const dead = await deadPid();
    for (const n of [`stepstream-${dead}`, `stepstream-${process.pid}`, `stepstream-${live.pid}`, 'stepstream-1', 'stepstream-x', `other-${dead}`]) staged(root, n);
    const removed = await removeStaleStaging(root);
    expect(removed).toEqual([join(root, `stepstream-${dead}`)]);
    expect(readdirSync(root).sort()).toEqual([`other-${dead}`, 'stepstream-1', `stepstream-${live.pid}`, `stepstream-${process.pid}`, 'stepstream-x'].sort());
  });

  it('is done when the embedded engine opens, and an insert makes its own directory again if it is gone', async () => {
    const root = temp(), data = temp();
    const dead = await deadPid();
    staged(root, `stepstream-${dead}`);
    const adapter = await EmbeddedAdapter.open({ path: data, stagingDir: root });
    cleanups.push(() => adapter.close());
    expect(readdirSync(root)).toEqual([`stepstream-${process.pid}`]);
    rmSync(join(root, `stepstream-${process.pid}`), { recursive: true });
    await adapter.command('CREATE TABLE t (x UInt8) ENGINE = Memory');
    await adapter.insertNative({ table: 't', columns: ['x'], payload: [nativeUInt8Block('x', [1, 2, 3])] });
    expect(await adapter.query('SELECT count() AS n FROM t')).toEqual([{ n: 3 }]);
  });
});

/** A Native block of one UInt8 column. */
function nativeUInt8Block(name: string, values: number[]): Buffer {
  const str = (s: string) => Buffer.concat([Buffer.from([s.length]), Buffer.from(s)]);
  return Buffer.concat([Buffer.from([1, values.length]), str(name), str('UInt8'), Buffer.from(values)]);
}
