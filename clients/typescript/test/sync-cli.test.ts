// The stepstream-sync-js command line: its exit statuses are the Python
// stepstream-sync's (0 sent, 1 some refused, 2 key refused, 3 stopped, 64 usage).
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeIngestRequest } from '../src/index.js';
import { startStub, type StubServer } from './stub-server.js';

const cli = join(dirname(fileURLToPath(import.meta.url)), '../dist/cli.js');
const cleanups: (() => unknown)[] = [];
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c(); });

function run(args: string[]): Promise<number> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { env: { ...process.env, STEPSTREAM_URL: '' }, timeout: 30_000 }, (err) => {
      resolve(err ? (typeof err.code === 'number' ? err.code : -1) : 0);
    });
  });
}

function spoolWithOneBatch(url: string): string {
  const root = mkdtempSync(join(tmpdir(), 'ss-cli-'));
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  const dir = join(root, 'p', 'r', 'c-r0');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'spool.json'), JSON.stringify({ format: 1, url, project: 'p', run_id: 'r', rank: 0, client_id: 'c-r0' }));
  const batch = { project: 'p', runId: 'r', clientId: 'c-r0', sequence: 1, series: [{ metric: 'a', rank: 0, steps: [0], values: [1] }] };
  writeFileSync(join(dir, '00000000000000000001.pb'), encodeIngestRequest(batch));
  return root;
}

async function stub(reply?: StubServer['reply']): Promise<StubServer> {
  const s = await startStub(reply);
  cleanups.push(() => s.close());
  return s;
}

describe.skipIf(!existsSync(cli))('stepstream-sync-js exit statuses (built package)', () => {
  it('64 on a usage error or a DIR that is not a directory', async () => {
    expect(await run([])).toBe(64);
    expect(await run(['--no-such-flag', '.'])).toBe(64);
    expect(await run([join(tmpdir(), 'ss-cli-missing-dir')])).toBe(64);
  });

  it('0 when all was sent, 1 when the server refused a batch, 2 when it refused the key', async () => {
    const ok = await stub();
    expect(await run([spoolWithOneBatch(ok.url)])).toBe(0);
    expect(ok.stored.size).toBe(1);
    const bad = await stub(() => ({ status: 400, body: { code: 'SS_ERR_DECODE' } }));
    expect(await run([spoolWithOneBatch(bad.url)])).toBe(1);
    const key = await stub(() => ({ status: 401 }));
    expect(await run([spoolWithOneBatch(key.url)])).toBe(2);
  });
});
