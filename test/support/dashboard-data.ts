// Data for the dashboard's browser tests, sent through the public protocol
// (the TypeScript client, and the demo's generator), and waited for.
import { IngestClient, newClientId, type SeriesInput } from '@stepstream/client';
import { parseConfig } from '@stepstream/runtime';
import { demoSchema, runDemo } from '../../services/cli/src/demo.js';
import { getJson } from './stepstream.js';
import { waitFor } from './wait.js';

/** The one-step spike: at SPIKE_STEP, inside a bucket of more than 10,000 steps at any pixel width. */
export const SPIKE_STEP = 5_000_000;
export const SPIKE_VALUE = 1000;
export const SPARSE_STRIDE = 1000;
export const SPARSE_STEPS = 10_000_000;
/** Non-finite points of train/nonfinite (200 raw steps): step -> value. */
export const NONFINITE = new Map<number, number>([[50, NaN], [120, Infinity], [170, -Infinity]]);
export const SYSTEM_METRICS = 40;

/** A run named `spiky`: train/loss (sparse, one spike), train/nonfinite, eval/acc, system/m00.., all at rank -1. */
export async function sendSpikyRun(url: string, project: string): Promise<void> {
  const client = new IngestClient({ url });
  const clientId = newClientId(0);
  const sparse = Array.from({ length: SPARSE_STEPS / SPARSE_STRIDE }, (_, i) => i * SPARSE_STRIDE);
  const t0 = Date.now() - 3600_000;
  const series: SeriesInput[] = [
    { metric: 'train/loss', steps: sparse, values: sparse.map((s) => (s === SPIKE_STEP ? SPIKE_VALUE : 1 + Math.sin(s / 1e6) * 0.1)), timeMs: sparse.map((s) => t0 + s / 1000) },
    { metric: 'train/nonfinite', steps: range(200), values: range(200).map((s) => NONFINITE.get(s) ?? s / 100) },
    { metric: 'eval/acc', steps: range(100).map((i) => i * 100_000), values: range(100).map((i) => 0.5 + i / 250) },
    ...range(SYSTEM_METRICS).map((m) => ({ metric: `system/m${String(m).padStart(2, '0')}`, steps: range(100), values: range(100).map((s) => m + Math.cos(s / 10)) })),
  ];
  await client.send({
    project, runId: 'spiky', clientId, sequence: 1, series,
    run: { name: 'spiky', status: 'finished', startedMs: t0, finishedMs: t0 + 10_000_000 / 1000, tags: ['spike'], configJson: '{"lr":0.001}' },
  });
  client.close();
}

/** The demo's generator: `runs` runs of `ranks` ranks, 6 metrics, `steps` steps. Returns the run ids. */
export async function sendDemo(url: string, project: string, runs = 2, ranks = 2, steps = 2000): Promise<string[]> {
  const cfg = parseConfig(demoSchema, new Map(Object.entries({ url, project, runs: String(runs), ranks: String(ranks), metrics: '6', steps: String(steps) })), {});
  const out: string[] = [];
  await runDemo(cfg, { write: (s: string) => { out.push(s); return true; } } as unknown as NodeJS.WritableStream);
  // The demo returns once its batches are accepted; the run list shows them once stored.
  return waitFor(`the demo's ${runs} runs listed`, async () => {
    const { status, body } = await getJson(`${url}/v1/projects/${encodeURIComponent(project)}/runs`);
    const ids = status === 200 ? (body.runs as { id: string }[]).map((r) => r.id).sort() : [];
    return ids.filter((id) => id.startsWith('demo-')).length >= runs ? ids : undefined;
  }, 60_000);
}

/** Waits until each run's detail counts `points[run][metric]` points. */
export async function waitCounts(url: string, project: string, want: Record<string, Record<string, number>>): Promise<void> {
  for (const [run, metrics] of Object.entries(want)) {
    await waitFor(`${run} stored`, async () => {
      const { status, body } = await getJson(`${url}/v1/projects/${encodeURIComponent(project)}/runs/${encodeURIComponent(run)}`);
      if (status !== 200) return undefined;
      const counts = new Map((body.metrics as { name: string; count: number }[]).map((m) => [m.name, m.count]));
      return Object.entries(metrics).every(([m, n]) => counts.get(m) === n) ? true : undefined;
    }, 60_000);
  }
}

export function range(n: number): number[] { return Array.from({ length: n }, (_, i) => i); }
