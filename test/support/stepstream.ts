// Starts Stepstream in this process (or as a child process) on a free port with a fresh data directory.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { parseConfig } from '@stepstream/runtime';
import { listenStepstream, serveSchema, type Stepstream } from '@stepstream/cli';

export interface Started extends Stepstream { url: string; dataDir: string; stop(): Promise<void> }

export async function startInProcess(flags: Record<string, string> = {}, dataDir = mkdtempSync(join(tmpdir(), 'ss-e2e-'))): Promise<Started> {
  const cfg = parseConfig(serveSchema, new Map(Object.entries({ port: '0', data: dataDir, ...flags })), {});
  const app = await listenStepstream(cfg, pino({ level: process.env['TEST_LOG_LEVEL'] ?? 'silent' }));
  return { ...app, dataDir, stop: async () => { await app.close(); rmSync(dataDir, { recursive: true, force: true }); } };
}

export async function getJson<T = any>(url: string): Promise<{ status: number; body: T }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as T };
}

export async function postBatch(url: string, body: Buffer): Promise<{ status: number; body: any; retryAfter: string | null }> {
  const res = await fetch(`${url}/v1/ingest`, { method: 'POST', body, headers: { 'content-type': 'application/x-protobuf' } });
  return { status: res.status, body: await res.json(), retryAfter: res.headers.get('retry-after') };
}
