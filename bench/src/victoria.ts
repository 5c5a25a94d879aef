// VictoriaMetrics for the anchor benchmark: find the binary (never installs it),
// start it on a free loopback port with a given data directory, wait for
// /health, peak RSS, stop.
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { freePort, startServer, type Proc } from './procs.js';

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
function victoriaFlags(dataDir: string, port: number): string[] {
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
  const p = await startServer('victoria-metrics', bin, flags, port, async (url) => {
    const r = await fetch(`${url}/health`);
    return r.status === 200 && (await r.text()).trim() === 'OK';
  });
  return { ...p, flags };
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
