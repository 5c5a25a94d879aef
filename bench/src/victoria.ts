// VictoriaMetrics for the anchor benchmark: find the binary (never installs it),
// start it on a free loopback port with a given data directory, wait for
// /health, peak RSS, stop.
import { execFileSync, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { cpuSeconds, freePort, peakRssMb, type Proc } from './procs.js';

/** How to get the binary, printed when it is missing. */
export const VM_INSTALL_HINT = 'apt-get install -y victoria-metrics   (Debian package; binary /usr/bin/victoria-metrics), or set VICTORIA_METRICS_BIN=/path/to/victoria-metrics';

/** Path of the victoria-metrics binary: $VICTORIA_METRICS_BIN, else `victoria-metrics` on PATH, else /usr/bin; null if none. */
export function findVictoria(): string | null {
  const candidates = [
    process.env['VICTORIA_METRICS_BIN'],
    ...(process.env['PATH'] ?? '').split(delimiter).filter(Boolean).map((d) => join(d, 'victoria-metrics')),
    '/usr/bin/victoria-metrics',
    '/usr/local/bin/victoria-metrics',
  ];
  for (const c of candidates) {
    if (!c) continue;
    try { accessSync(c, constants.X_OK); return c; } catch { /* next */ }
  }
  return null;
}

/**
 * Flags: a fresh data dir, loopback only, retention long enough for the fixed
 * 2020 epoch the steps are mapped onto, the response cache off (the data is
 * "backfilled" into the past, and a cached answer would hide it), and logs
 * at WARN. Everything else is left at VictoriaMetrics' own defaults.
 */
export function victoriaFlags(dataDir: string, port: number): string[] {
  return [
    `-storageDataPath=${dataDir}`,
    `-httpListenAddr=127.0.0.1:${port}`,
    '-retentionPeriod=100y',
    '-search.disableCache',
    '-loggerLevel=WARN',
  ];
}

export async function startVictoria(bin: string, dataDir: string): Promise<Proc & { flags: string[] }> {
  const port = await freePort();
  const flags = victoriaFlags(dataDir, port);
  const proc = spawn(bin, flags, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => { out = (out + d.toString()).slice(-20_000); });
  proc.stderr!.on('data', (d: Buffer) => { out = (out + d.toString()).slice(-20_000); });
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((r) => proc.on('exit', () => r()));
  let peak = 0;
  const sampler = setInterval(() => { peak = Math.max(peak, peakRssMb(proc.pid!) || 0); }, 200);
  const p = {
    url, proc, flags, log: () => out,
    cpuSeconds: () => cpuSeconds(proc.pid!),
    peakRssMb: () => Math.max(peak, peakRssMb(proc.pid!) || 0),
    stop: async () => {
      clearInterval(sampler);
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([exited, new Promise((r) => { timer = setTimeout(r, 20_000); })]);
        clearTimeout(timer); // a pending 20 s timer would keep node alive after the run
      }
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    },
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) { clearInterval(sampler); throw new Error(`victoria-metrics exited: ${out}`); }
    const ok = await fetch(`${url}/health`).then(async (r) => r.status === 200 && (await r.text()).trim() === 'OK', () => false);
    if (ok) return p;
    if (Date.now() > deadline) { await p.stop(); throw new Error(`victoria-metrics not healthy: ${out}`); }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The version: from /metrics (vm_app_version), else the Debian package's version (its build leaves the former empty). */
export async function victoriaVersion(url: string): Promise<string> {
  const fromMetrics = await fetch(`${url}/metrics`).then((r) => r.text()).then((t) => /vm_app_version\{[^}]*short_version="([^"]+)"/.exec(t)?.[1], () => undefined);
  if (fromMetrics) return fromMetrics;
  try {
    const v = execFileSync('dpkg-query', ['-W', '-f=${Version}', 'victoria-metrics'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    if (v) return `${v} (Debian package)`;
  } catch { /* not a Debian install */ }
  return 'unknown version';
}
