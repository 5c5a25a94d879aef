// The process as an operator and an attacker meet it: every accepted
// configuration works, slow bodies cannot hold a shutdown, logs keep keys out
// and do not flood, and a start that cannot work fails at once with one line.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../deploy/kafka/broker.mjs';
import { CLI, startChild, type Child } from '../support/process.js';
import { encodeRequest } from '../support/requests.js';
import { getJson, postBatch } from '../support/stepstream.js';
import { waitFor } from '../support/wait.js';

const dirs: string[] = [];
const children: Child[] = [];
const tempDir = () => { const d = mkdtempSync(join(tmpdir(), 'ss-hostile-')); dirs.push(d); return d; };

afterAll(async () => {
  for (const c of children) await c.stop(2000);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function start(args: string[]): Promise<Child> {
  const c = await startChild(['--data', tempDir(), ...args], { STEPSTREAM_LOG_LEVEL: 'info' });
  children.push(c);
  return c;
}

/** Runs the program until it exits on its own; fails the test if it takes longer than `ms`. */
function runToExit(args: string[], ms = 20_000): Promise<{ code: number | null; stdout: string; stderr: string; elapsedMs: number }> {
  const t0 = Date.now();
  const proc = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  proc.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  proc.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`still running after ${ms} ms: ${stdout}${stderr}`)); }, ms);
    proc.on('exit', (code) => { clearTimeout(t); resolve({ code, stdout, stderr, elapsedMs: Date.now() - t0 }); });
  });
}

/** Sends the headers and part of a body, then stalls. Resolves with what the server answered, if anything. */
function stalledUpload(url: string): { answer: Promise<string>; close(): void } {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  socket.write(`POST /v1/ingest HTTP/1.1\r\nhost: ${hostname}\r\ncontent-type: application/x-protobuf\r\ncontent-length: 100000\r\n\r\n`);
  socket.write(Buffer.alloc(10));
  let got = '';
  socket.on('data', (d: Buffer) => { got += d.toString(); });
  socket.on('error', () => {});
  const answer = new Promise<string>((resolve) => socket.on('close', () => resolve(got)));
  return { answer, close: () => socket.destroy() };
}

const lines = (out: string) => out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);

describe('configuration and process hygiene', () => {
  it('runs with --flush-ms 0: listens, stores, and does not spin', async () => {
    const c = await start(['--flush-ms', '0']);
    const steps = [1, 2, 3];
    const res = await postBatch(c.url, encodeRequest({ project: 'f0', runId: 'r', series: [{ metric: 'm', rank: 0, steps, values: steps }] }));
    expect(res.status).toBe(202);
    await waitFor('stored', async () => ((await getJson(`${c.url}/v1/projects/f0/runs/r`)).body.metrics?.[0]?.count === 3 ? true : undefined));
    // Idle for a second: a spinning loop would burn about a second of CPU.
    const t0 = Date.now();
    const cpu0 = await childCpuMs(c.proc.pid!);
    await new Promise((r) => setTimeout(r, 1000));
    const cpu1 = await childCpuMs(c.proc.pid!);
    expect((cpu1 - cpu0) / (Date.now() - t0)).toBeLessThan(0.5);
  }, 60_000);

  it('cuts off a body that does not arrive in time with 408, and keeps serving', async () => {
    const c = await start(['--body-timeout-ms', '300']);
    const up = stalledUpload(c.url);
    const answer = await up.answer;
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(answer).toContain('SS_ERR_BODY_TIMEOUT');
    expect((await getJson(`${c.url}/healthz`)).status).toBe(200);
  });

  it('is not held by a stalled upload on SIGTERM: it answers 503 and exits 0 promptly', async () => {
    const c = await start([]);
    const up = stalledUpload(c.url);
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    const code = await c.stop(20_000);
    expect(code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(await up.answer).toMatch(/^HTTP\/1\.1 503/);
  });

  it('answers a known path with the wrong method 405 and Allow', async () => {
    const c = await start([]);
    const res = await fetch(`${c.url}/v1/projects/p/runs`, { method: 'POST', body: 'x' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toContain('GET');
    expect(((await res.json()) as { code: string }).code).toBe('SS_ERR_METHOD_NOT_ALLOWED');
    const ingest = await fetch(`${c.url}/v1/ingest`);
    expect(ingest.status).toBe(405);
    expect(ingest.headers.get('allow')).toBe('POST');
    expect((await fetch(`${c.url}/v1/nothing-here`)).status).toBe(404);
  });

  it('keeps query strings out of the log, and repeated 4xx to a few lines', async () => {
    const c = await start([]);
    for (let i = 0; i < 40; i++) {
      // Keys travel in the authorization header only: `key` is an unknown parameter (400).
      const res = await fetch(`${c.url}/v1/projects/nope/runs?key=SECRET-KEY-${i}`);
      expect(res.status).toBe(400);
      expect(await res.text()).not.toContain('SECRET-KEY');
    }
    await c.stop();
    const out = c.output();
    expect(out).not.toContain('SECRET-KEY');
    const notFound = lines(out).filter((l) => l['code'] === 'SS_ERR_QUERY_PARAM');
    expect(notFound.length).toBeGreaterThan(0);
    expect(notFound.length).toBeLessThanOrEqual(10);
    expect(notFound[0]!['path']).toBe('/v1/projects/nope/runs?[redacted]');
  });

  it('logs migrations under the logger\'s own name', async () => {
    const c = await start([]);
    await c.stop();
    const applied = lines(c.output()).filter((l) => l['msg'] === 'applied migration');
    expect(applied.length).toBeGreaterThan(0);
    for (const l of applied) { expect(l['name']).toBe('stepstream'); expect(typeof l['migration']).toBe('string'); }
  });

  it('fails at once with one line when the port is taken, before touching the data directory', async () => {
    const port = await freePort();
    const taken: Server = createServer();
    await new Promise<void>((r) => taken.listen(port, '127.0.0.1', () => r()));
    try {
      const r = await runToExit(['--port', String(port), '--data', tempDir()]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toEqual([`stepstream: --port: 127.0.0.1:${port} is already in use (another Stepstream running?); stop it or pick another --port`]);
      expect(r.stdout).not.toContain('migration');
    } finally {
      taken.close();
    }
  });

  it('fails at once with one line when the data directory is in use', async () => {
    const dir = tempDir();
    const first = await startChild(['--data', dir]);
    children.push(first);
    const r = await runToExit(['--port', String(await freePort()), '--data', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(new RegExp(`^stepstream: --data: ${dir} is in use by process ${first.proc.pid} `));
    expect(r.stdout).toBe('');
    // Nor is the log of a running server repaired under it.
    const repair = await runToExit(['wal-repair', '--data', dir]);
    expect(repair.code).toBe(2);
    expect(repair.stderr).toContain('stop the server before repairing its log');
  });
});

/** CPU time (user + system) a process has used, in ms, from /proc. */
async function childCpuMs(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
}
