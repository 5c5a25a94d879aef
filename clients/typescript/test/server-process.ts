// Starts the real Stepstream (services/cli/dist/index.js, target all on the
// embedded store) on a free port with a temp data dir, for integration tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../../deploy/kafka/broker.mjs';

export const CLI = join(dirname(fileURLToPath(import.meta.url)), '../../../services/cli/dist/index.js');
export const haveServer = existsSync(CLI);


export interface ServerProcess {
  url: string;
  port: number;
  dataDir: string;
  /** The server's output so far, for failure messages. */
  output(): string;
  /** Starts (again) on the same port and data dir; resolves when /readyz answers 200. */
  start(): Promise<void>;
  /** SIGTERM (graceful) or SIGKILL; escalates to SIGKILL after `timeoutMs`. Safe when stopped. */
  stop(signal?: 'SIGTERM' | 'SIGKILL', timeoutMs?: number): Promise<void>;
  /** Stops and deletes the data dir. */
  dispose(): Promise<void>;
  get<T>(path: string): Promise<T>;
}

export async function startServer(): Promise<ServerProcess> {
  const port = await freePort();
  const root = mkdtempSync(join(tmpdir(), 'ss-it-'));
  const dataDir = join(root, 'data');
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;
  let out = '';

  const server: ServerProcess = {
    url, port, dataDir,
    output: () => out.slice(-4000),
    async start() {
      const proc = spawn(process.execPath, [CLI, '--port', String(port), '--data', dataDir, '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
      child = proc;
      proc.stdout!.on('data', (c: Buffer) => { out += c.toString(); });
      proc.stderr!.on('data', (c: Buffer) => { out += c.toString(); });
      const deadline = Date.now() + 60_000;
      for (;;) {
        if (proc.exitCode !== null) throw new Error(`stepstream exited with ${proc.exitCode} while starting:\n${server.output()}`);
        try {
          const res = await fetch(`${url}/readyz`);
          if (res.status === 200) return;
        } catch { /* not listening yet */ }
        if (Date.now() > deadline) {
          await server.stop('SIGKILL');
          throw new Error(`stepstream not ready within 60 s:\n${server.output()}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stop(signal = 'SIGTERM', timeoutMs = 15_000) {
      const proc = child;
      child = null;
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      proc.kill(signal);
      const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
    },
    async dispose() {
      await server.stop();
      rmSync(root, { recursive: true, force: true });
    },
    async get<T>(path: string): Promise<T> {
      const res = await fetch(`${url}${path}`);
      const text = await res.text();
      if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}: ${text}`);
      return JSON.parse(text) as T;
    },
  };
  try {
    await server.start();
  } catch (err) {
    await server.dispose();
    throw err;
  }
  return server;
}
