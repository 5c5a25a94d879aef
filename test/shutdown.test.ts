// SIGTERM during ingestion: everything that got a 202 is stored before exit.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeRequest } from './support/requests.js';
import { startChild, type Child } from './support/process.js';
import { getJson } from './support/stepstream.js';

describe('graceful shutdown', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ss-term-'));
  const children: Child[] = [];
  afterAll(async () => {
    for (const c of children) await c.stop(2000);
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores every acknowledged point when SIGTERM arrives mid-stream', async () => {
    // A slow flush age keeps points in the queue when the signal lands.
    const first = await startChild(['--data', dir, '--flush-ms', '1000']);
    children.push(first);
    let acked = 0, seq = 0, stop = false;
    const sender = async (rank: number) => {
      while (!stop) {
        const s = ++seq;
        const steps = Array.from({ length: 2000 }, (_, i) => s * 2000 + i);
        const body = encodeRequest({ project: 'term', runId: 'r', clientId: `c${rank}`, sequence: s, series: [{ metric: 'm', rank, steps, values: steps.map((x) => x / 3) }] });
        try {
          const res = await fetch(`${first.url}/v1/ingest`, { method: 'POST', body, headers: { 'content-type': 'application/x-protobuf' } });
          if (res.status === 202) acked += 2000;
          await res.arrayBuffer();
        } catch {
          // refused while shutting down: not acknowledged, so not owed
          await new Promise((r) => setTimeout(r, 5));
        }
      }
    };
    const senders = [0, 1, 2, 3].map(sender);
    await new Promise((r) => setTimeout(r, 1500));
    const code = await first.stop();
    stop = true;
    await Promise.all(senders);
    expect(code).toBe(0);
    expect(acked).toBeGreaterThan(0);
    expect(first.output()).toContain('shutdown complete');

    const second = await startChild(['--data', dir]);
    children.push(second);
    const { body } = await getJson(`${second.url}/v1/projects/term/runs/r`);
    expect(body.metrics[0].count).toBe(acked);
    await second.stop();
  }, 90_000);
});
