// The superseded points of restarted runs, for the `superseded=1` toggle: each attempt's points a
// later attempt took over (a crashed attempt's tail, or a whole attempt a rollback skipped), read
// with `attempt=N` over the chart's range and added to the chart as a dashed layer.
import { darker } from './chart.js';
import type { ChartModel, Layer } from './chart-model.js';
import type { Lineage } from './lineage-ranks-types.js';
import { pickedRank } from './ranks/rank-source.js';
import type { ChartRun, PanelContext } from './registry.js';
import { isError, num, type Series } from './types.js';

/** Attempts of `l` with points outside the segments they own. */
export function supersededAttempts(l: Lineage): number[] {
  return l.attempts.filter((a) => {
    if (a.points === 0 || a.first_step === null || a.last_step === null) return false;
    const owned = l.segments.filter((s) => s.run === l.run && s.attempt === a.attempt);
    return !owned.some((s) => s.from <= a.first_step! && (s.to === null || s.to > a.last_step!));
  }).map((a) => a.attempt);
}

export async function addSupersededLayers(ctx: PanelContext, model: ChartModel, runs: ChartRun[], lineages: (Lineage | null)[]): Promise<void> {
  if (model.xAxis !== 'step' || !model.x.length) return;
  const queries = runs.flatMap((r, i) => {
    const l = lineages[i];
    if (!l) return [];
    const rank = (r.metric?.ranks ?? 0) > 1 ? pickedRank(ctx) ?? 0 : undefined;
    return supersededAttempts(l).map((attempt) => ({
      run: r, owned: l.segments.filter((s) => s.run === l.run && s.attempt === attempt),
      query: { run: r.id, metric: ctx.metric, attempt, ...(rank === undefined ? {} : { rank }) },
    }));
  });
  if (!queries.length) return;
  const from = ctx.view.zoom?.from ?? model.steps[0]!, to = ctx.view.zoom?.to ?? model.steps.at(-1)! + model.bucket;
  const { series } = await ctx.api.series(ctx.project, { queries: queries.map((q) => q.query), from, to, points: ctx.width }, ctx.signal);
  series.forEach((e, i) => {
    if (isError(e) || !e.x.length) return;
    const { run, query, owned } = queries[i]!;
    // Only the buckets the attempt no longer owns: what it logged that a later attempt replaced.
    const keep = e.x.map((x) => !owned.some((o) => o.from <= x && (o.to === null || x + e.bucket <= o.to)));
    e.mean = e.mean.map((v, j) => (keep[j] ? v : null));
    const rank = query.rank === undefined ? '' : ` rank ${query.rank}`;
    addLayer(model, e, { key: `${run.id}/attempt-${query.attempt}`, label: `${run.label} · attempt ${query.attempt}${rank} (superseded)`, color: darker(run.color), dash: [3, 5] });
  });
}

/** Adds one series as a layer (its mean, no band) on the model's step axis, x joined with the model's. */
export function addLayer(m: ChartModel, s: Series, meta: Pick<Layer, 'key' | 'label' | 'color' | 'dash'>): void {
  const x = [...new Set([...m.x, ...s.x])].sort((a, b) => a - b);
  const at = new Map(x.map((v, i) => [v, i]));
  const move = (col: (number | null)[]) => { const out: (number | null)[] = new Array(x.length).fill(null); col.forEach((v, i) => { out[at.get(m.x[i]!)!] = v; }); return out; };
  if (x.length !== m.x.length) {
    for (const l of m.layers) {
      l.line = move(l.line); l.mean = move(l.mean);
      if (l.band) l.band = { min: move(l.band.min), max: move(l.band.max) };
      if (l.bandRanks) l.bandRanks = { min: move(l.bandRanks.min), max: move(l.bandRanks.max) };
      l.steps = move(l.steps);
      l.nonfinite = l.nonfinite?.map((n) => ({ ...n, index: at.get(m.x[n.index]!)! }));
    }
  }
  const line: (number | null)[] = new Array(x.length).fill(null);
  s.x.forEach((v, i) => { const y = num(s.mean[i]); if (y !== null && Number.isFinite(y)) line[at.get(v)!] = y; });
  m.layers.push({ ...meta, line, mean: [...line], steps: x.map((v, i) => (line[i] === null ? null : v)) });
  m.x = x;
  m.steps = x;
}
