// Runs the real `stepstream` program as a child process, for tests about signals and restarts.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { waitFor } from './wait.js';
import { freePort } from '../../deploy/kafka/broker.mjs';

export const CLI = join(import.meta.dirname, '..', '..', 'services', 'cli', 'dist', 'index.js');


export interface Child {
  url: string;
  proc: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after a grace period; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

export async function startChild(args: string[], env: Record<string, string> = {}): Promise<Child> {
  const port = await freePort();
  const proc = spawn(process.execPath, [CLI, '--port', String(port), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  proc.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const child: Child = {
    url, proc, exited, output: () => out,
    stop: async (graceMs = 20_000) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
  try {
    await waitFor('stepstream ready', async () => {
      if (proc.exitCode !== null) throw new Error(`exited with ${proc.exitCode}: ${out}`);
      const res = await fetch(`${url}/readyz`).catch(() => null);
      return res?.status === 200 ? true : undefined;
    }, 30_000);
  } catch (err) {
    await child.stop(2000);
    throw err;
  }
  return child;
}
