import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeIngestRequest } from '@stepstream/client';
import { waitQueryable } from './all-in-one.js';
import { startStepstream } from './procs.js';
import { sendAll } from './sender.js';
const dir = mkdtempSync(join(tmpdir(), 'ss-probe-'));
const ss = await startStepstream(['--data', dir]);
const bodies: { body: Buffer; points: number }[] = [];
for (let from = 0; from < 10_000_000; from += 200_000) {
  const steps = new Float64Array(200_000), values = new Float64Array(200_000);
  for (let i = 0; i < 200_000; i++) { steps[i] = from + i; values[i] = Math.sin((from + i) / 1000); }
  bodies.push({ body: encodeIngestRequest({ project: 'a', runId: 'big', clientId: 'c', sequence: from / 200_000 + 1, series: [{ metric: 'loss', rank: -1, steps, values }] }), points: 200_000 });
}
await sendAll(ss.url, bodies, 4);
await waitQueryable(ss.url, 'a', ['big'], 10_000_000);
for (const q of ['tier=raw&points=100000', 'tier=raw&points=1000', 'points=100000', 'tier=raw&points=100000&from=0&to=1000000']) {
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    const r = await fetch(`${ss.url}/v1/projects/a/runs/big/series?metric=loss&${q}`);
    const text = await r.text();
    console.log(q, r.status, Math.round(performance.now() - t), 'ms', text.length, 'bytes');
  }
}
await ss.stop();
