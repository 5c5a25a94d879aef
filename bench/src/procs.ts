// Child processes for benchmarks: start, wait ready, peak RSS, stop.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../deploy/kafka/broker.mjs';

export { freePort };

export const CLI = join(import.meta.dirname, '..', '..', 'services', 'cli', 'dist', 'index.js');


/** Peak resident set of a process so far (VmHWM), in MB. */
export function peakRssMb(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch { return NaN; }
}

/** CPU seconds (user + system) a process has used so far, threads included. */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch { return NaN; }
}

export interface Proc { url: string; proc: ChildProcess; peakRssMb(): number; cpuSeconds(): number; stop(): Promise<void>; log(): string }

/**
 * Spawns a server, samples its peak RSS, and resolves once `ready(url)` holds
 * (within a minute); stop() sends SIGTERM, then SIGKILL after 20 s.
 */
export async function startServer(name: string, cmd: string, args: string[], port: number, ready: (url: string) => Promise<boolean>, env: Record<string, string> = {}): Promise<Proc> {
  const proc = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => { out = (out + d.toString()).slice(-20_000); });
  proc.stderr!.on('data', (d: Buffer) => { out = (out + d.toString()).slice(-20_000); });
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((r) => proc.on('exit', () => r()));
  const running = () => proc.exitCode === null && proc.signalCode === null;
  let peak = 0;
  const sampler = setInterval(() => { peak = Math.max(peak, peakRssMb(proc.pid!) || 0); }, 200);
  const p: Proc = {
    url, proc, log: () => out,
    peakRssMb: () => Math.max(peak, peakRssMb(proc.pid!) || 0),
    cpuSeconds: () => cpuSeconds(proc.pid!),
    stop: async () => {
      clearInterval(sampler);
      if (running()) {
        proc.kill('SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([exited, new Promise((r) => { timer = setTimeout(r, 20_000); })]);
        clearTimeout(timer); // a pending timer would keep the benchmark alive after its run
      }
      if (running()) proc.kill('SIGKILL');
    },
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (!running()) { clearInterval(sampler); throw new Error(`${name} exited: ${out}`); }
    if (await ready(url).catch(() => false)) return p;
    if (Date.now() > deadline) { await p.stop(); throw new Error(`${name} not ready: ${out}`); }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A Stepstream server (this checkout's CLI unless `cli` names another; `nodeArgs` go before it). */
export async function startStepstream(args: string[], env: Record<string, string> = {}, opts: { cli?: string; nodeArgs?: string[] } = {}): Promise<Proc> {
  const port = await freePort();
  return startServer('stepstream', process.execPath, [...(opts.nodeArgs ?? []), opts.cli ?? CLI, '--port', String(port), '--log-level', 'warn', ...args], port,
    async (url) => (await fetch(`${url}/readyz`)).status === 200, { KAFKAJS_NO_PARTITIONER_WARNING: '1', ...env });
}
