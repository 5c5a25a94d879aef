// Freshness: time from a 202 to the point being visible in a series query,
// probed with small batches while the load runs.
import { percentile } from './report.js';

export function startFreshnessProbe(ingestUrl: string, queryUrl: string, project: string, everyMs = 250): { stop(): Promise<{ p50: number; p99: number; n: number }> } {
  const samples: number[] = [];
  const run = `probe-${Date.now()}`;
  let stopped = false;
  let k = 0;
  const loop = (async () => {
    while (!stopped) {
      const step = k++;
      const body = encodeProbe(project, run, step);
      const res = await fetch(`${ingestUrl}/v1/ingest`, { method: 'POST', body, headers: { 'content-type': 'application/x-protobuf' } }).catch(() => null);
      await res?.arrayBuffer();
      if (res?.status !== 202) { await sleep(everyMs); continue; }
      const acked = performance.now();
      for (;;) {
        const q = await fetch(`${queryUrl}/v1/projects/${project}/runs/${run}/series?metric=fresh&from=${step}&to=${step + 1}`).catch(() => null);
        const body = q && q.status === 200 ? ((await q.json()) as { count: number[] }) : (await q?.arrayBuffer(), null);
        if (body && body.count.length === 1) { samples.push(performance.now() - acked); break; }
        if (performance.now() - acked > 60_000) { samples.push(60_000); break; }
        await sleep(50);
      }
      await sleep(everyMs);
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      const s = samples.sort((a, b) => a - b);
      return { p50: percentile(s, 50), p99: percentile(s, 99), n: s.length };
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

import { encodeIngestRequest } from '@stepstream/client';
function encodeProbe(project: string, runId: string, step: number): Buffer {
  return encodeIngestRequest({ project, runId, series: [{ metric: 'fresh', rank: -1, steps: [step], values: [step] }] });
}
