// The data the query bench reads: one long series and the overlay runs,
// synthetic losses written through Store.write, the writer's own path, so
// every rollup tier and the summaries are filled exactly as in production.
import { pino } from 'pino';
import { EmbeddedAdapter, Store, TIER_WIDTHS, tierTable, type SeriesRows } from '@stepstream/storage';
import { LossCurve } from './loss-curve.js';

export const PROJECT = 'bench';
export const METRIC = 'train/loss';
export const LONG_RUN = 'long';
export const OVERLAY_RUNS = 10;
/** Points per write set. */
const CHUNK = 1_000_000;

/** Writes the long series and the overlay runs through Store.write, ~1M points per write set. */
export async function writeQueryData(dir: string, longSteps: number, overlaySteps: number): Promise<{ seconds: number; nonfinite: Map<string, number> }> {
  const store = new Store(await EmbeddedAdapter.open({ path: dir }), 'stepstream', pino({ level: 'silent' }));
  const nonfinite = new Map<string, number>();
  const t0 = performance.now();
  try {
    await store.migrate();
    const curves: [string, LossCurve][] = [[LONG_RUN, new LossCurve(longSteps, 1, 1.9, 9, 0.45)]];
    for (let r = 0; r < OVERLAY_RUNS; r++) curves.push([`overlay-${r}`, new LossCurve(overlaySteps, 100 + r, 1.7 + 0.05 * r, 8 + r * 0.3, 0.35 + 0.02 * r)]);
    let pending: SeriesRows[] = [], pendingPoints = 0, token = 0;
    const flush = async () => {
      if (!pending.length) return;
      await store.write({ token: `bench-query-${token++}`, series: pending, batches: [], runs: [] });
      pending = []; pendingPoints = 0;
    };
    for (const [run, curve] of curves) {
      nonfinite.set(run, curve.nonfinite.size);
      for (let from = 0; from < curve.steps;) {
        // Small series share a write set; a long one is cut where the set is full.
        const n = Math.min(curve.steps - from, CHUNK - pendingPoints);
        const { steps, values } = curve.chunk(from, n);
        pending.push({ project: PROJECT, run, metric: METRIC, rank: -1, attempt: 0, steps, values, timeMs: new Float64Array(0), receivedMs: Date.now() });
        pendingPoints += n;
        from += n;
        if (pendingPoints >= CHUNK) await flush();
      }
    }
    await flush();
    // NOTE: a finished run's history sits in merged parts once the engine's
    // background merges have run; merge now rather than measure the minutes
    // right after a bulk load (each part is a few ms more per query).
    for (const table of ['points', ...TIER_WIDTHS.map(tierTable), 'summaries']) {
      await store.adapter.command(`OPTIMIZE TABLE stepstream.${table} FINAL`);
    }
    return { seconds: (performance.now() - t0) / 1000, nonfinite };
  } finally {
    await store.close();
  }
}
