// SIGTERM during ingestion: everything that got a 202 is stored before exit.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeRequest } from './support/requests.js';
import { startChild, type Child } from './support/process.js';
import { getJson } from './support/stepstream.js';
import { waitFor } from './support/wait.js';

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

  it('stores every acknowledged point after a SIGKILL, from the write-ahead log, once', async () => {
    const killDir = mkdtempSync(join(tmpdir(), 'ss-kill-'));
    try {
      // A long flush age keeps acknowledged batches in the queue when the kill lands.
      const first = await startChild(['--data', killDir, '--flush-ms', '2000']);
      children.push(first);
      let acked = 0;
      for (let s = 1; s <= 40; s++) {
        const steps = Array.from({ length: 1000 }, (_, i) => s * 1000 + i);
        const body = encodeRequest({ project: 'kill', runId: 'r', clientId: 'c', sequence: s, series: [{ metric: 'm', rank: 0, steps, values: steps.map((x) => x / 7) }] });
        const res = await fetch(`${first.url}/v1/ingest`, { method: 'POST', body, headers: { 'content-type': 'application/x-protobuf' } });
        await res.arrayBuffer();
        if (res.status === 202) acked += 1000;
      }
      first.proc.kill('SIGKILL');
      await first.exited;
      expect(acked).toBe(40_000);

      const second = await startChild(['--data', killDir, '--flush-ms', '50']);
      children.push(second);
      const count = await waitFor('replayed points', async () => {
        const { status, body } = await getJson(`${second.url}/v1/projects/kill/runs/r`);
        const n = status === 200 ? body.metrics[0].count : 0;
        return n >= acked ? n : undefined;
      }, 30_000, 100);
      expect(count).toBe(acked);
      // and nothing twice in the tiers either
      const s = await getJson(`${second.url}/v1/projects/kill/runs/r/series?metric=m&rank=0&points=3`);
      expect((s.body.count as number[]).reduce((a, b) => a + b, 0)).toBe(acked);
      await second.stop();
    } finally {
      rmSync(killDir, { recursive: true, force: true });
    }
  }, 90_000);
});
