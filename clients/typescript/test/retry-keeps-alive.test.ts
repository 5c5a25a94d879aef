// A script that awaits IngestClient.send() while the server pushes back
// (503 with Retry-After) must not end silently in the retry wait: the send
// holds the process until it settles (the demo once exited 0 mid-retry, its
// points unsent). The child runs the built package, as a user's script would.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStub, type StubServer } from './stub-server.js';

const dist = join(dirname(fileURLToPath(import.meta.url)), '../dist/index.js');
let stub: StubServer;

// The first two requests are pushed back, the third stored.
beforeAll(async () => { stub = await startStub((_req, n) => (n <= 2 ? { status: 503, headers: { 'retry-after': '1' } } : 'store')); });
afterAll(async () => { await stub?.close(); });

describe.skipIf(!existsSync(dist))('IngestClient.send in a script (built package)', () => {
  it('keeps the process alive through its retry waits and resolves once stored', async () => {
    const script = `import { IngestClient, newClientId } from ${JSON.stringify(pathToFileURL(dist).href)};
      const client = new IngestClient({ url: process.env.URL });
      const r = await client.send({ project: 'p', runId: 'r', clientId: newClientId(0), sequence: 1, series: [{ metric: 'loss', rank: 0, steps: [1], values: [0.5] }] });
      console.log('stored', r.acceptedPoints);
      client.close();`;
    const out = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, URL: stub.url }, timeout: 30_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      });
    });
    expect(out.stderr).toBe('');
    expect(out.stdout.trim()).toBe('stored 1');
    expect(out.code).toBe(0);
    expect(stub.received.length).toBe(3);
  });
});
