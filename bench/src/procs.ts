// Child processes for benchmarks: start, wait ready, peak RSS, stop.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const CLI = join(import.meta.dirname, '..', '..', 'services', 'cli', 'dist', 'index.js');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address() as { port: number }; srv.close(() => resolve(port)); });
  });
}

/** Peak resident set of a process so far (VmHWM), in MB. */
export function peakRssMb(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch { return NaN; }
}

/** CPU seconds (user + system) a process has used so far, threads included. */
export function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch { return NaN; }
}

export interface Proc { url: string; proc: ChildProcess; peakRssMb(): number; cpuSeconds(): number; stop(): Promise<void>; log(): string }

export async function startStepstream(args: string[], env: Record<string, string> = {}): Promise<Proc> {
  const port = await freePort();
  const proc = spawn(process.execPath, [CLI, '--port', String(port), '--log-level', 'warn', ...args], { env: { ...process.env, KAFKAJS_NO_PARTITIONER_WARNING: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => { out = (out + d.toString()).slice(-20_000); });
  proc.stderr!.on('data', (d: Buffer) => { out = (out + d.toString()).slice(-20_000); });
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((r) => proc.on('exit', () => r()));
  let peak = 0;
  const sampler = setInterval(() => { peak = Math.max(peak, peakRssMb(proc.pid!) || 0); }, 200);
  const p: Proc = {
    url, proc, log: () => out,
    peakRssMb: () => Math.max(peak, peakRssMb(proc.pid!) || 0),
    cpuSeconds: () => cpuSeconds(proc.pid!),
    stop: async () => {
      clearInterval(sampler);
      if (proc.exitCode === null) {
        proc.kill('SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([exited, new Promise((r) => { timer = setTimeout(r, 20_000); })]);
        clearTimeout(timer);
      }
      if (proc.exitCode === null) proc.kill('SIGKILL');
    },
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) { clearInterval(sampler); throw new Error(`stepstream exited: ${out}`); }
    const ok = await fetch(`${url}/readyz`).then((r) => r.status === 200, () => false);
    if (ok) return p;
    if (Date.now() > deadline) { await p.stop(); throw new Error(`stepstream not ready: ${out}`); }
    await new Promise((r) => setTimeout(r, 100));
  }
}
