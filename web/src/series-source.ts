// The default panel source: one POST /series for all the panel's runs,
// over the view's step range at the plot's pixel width, so a zoom is read at
// finer buckets, down to raw points. Smoothing needs the points before a
// zoomed range: the request starts that many points earlier (smoothing.ts,
// marginPoints) and the chart shows only the zoomed range.
import { buildModel, stepsAt, type ChartModel, type RunSeries } from './chart-model.js';
import type { PanelContext, PanelSource } from './registry.js';
import { marginPoints } from './smoothing.js';
import { isError, type SeriesQuery } from './types.js';

/** The batch route's bounds (docs/api.md): points per query, and queries × points per request. */
const MAX_POINTS = 100_000;
const MAX_POINTS_PER_REQUEST = 1_000_000;
/** Queries in one POST /series: a panel draws the first this many runs picked. */
export const MAX_RUNS_PER_PANEL = 200;

export class SeriesSource implements PanelSource {
  readonly name = 'series';
  /** The rank read for a per-rank metric (no rank -1), learnt from the first 404: `run\0metric` -> rank. */
  private readonly rankOf = new Map<string, number>();

  claims(): boolean { return true; }

  async load(ctx: PanelContext): Promise<ChartModel> {
    const having = ctx.runs.filter((r) => r.metric);
    const runs = having.slice(0, MAX_RUNS_PER_PANEL);
    const notes = ctx.runs.filter((r) => !r.metric).map((r) => `${r.label}: no ${ctx.metric}`);
    if (having.length > runs.length) notes.push(`${having.length - runs.length} more runs not drawn (at most ${MAX_RUNS_PER_PANEL} per panel)`);
    const full = stepExtent(ctx);
    if (!runs.length || !full) return { ...buildModel([], ctx.view.x, ctx.view.smoothing, ctx.view.logY), notes };
    const shown = ctx.view.zoom ?? full;
    const density = Math.max(...runs.map((r) => (r.metric!.last_step - r.metric!.first_step + 1) / Math.max(1, r.metric!.count)));
    const margin = Math.ceil(marginPoints(ctx.view.smoothing) * density);
    const from = Math.max(full.from, shown.from - margin);
    const to = shown.to;
    if (to <= from) return { ...buildModel([], ctx.view.x, ctx.view.smoothing, ctx.view.logY), notes };
    const perPixel = Math.ceil(ctx.width * ((to - from) / Math.max(1, shown.to - shown.from)));
    const points = Math.max(1, Math.min(perPixel, MAX_POINTS, Math.floor(MAX_POINTS_PER_REQUEST / runs.length)));
    const key = (run: string) => `${run}\0${ctx.metric}`;
    const query = (run: string): SeriesQuery => {
      const rank = this.rankOf.get(key(run));
      return rank === undefined ? { run, metric: ctx.metric } : { run, metric: ctx.metric, rank };
    };
    const x = ctx.view.x === 'step' ? 'step' : 'time';
    const body = { from, to, points, x } as const;
    let { series } = await ctx.api.series(ctx.project, { ...body, queries: runs.map((r) => query(r.id)) }, ctx.signal);
    // A metric logged per rank has no rank -1: read its lowest rank instead (the 404 names the ranks).
    const retry = series.map((e) => (isError(e) ? firstRank(e.details) : null)).map((rank, i) => (rank === null ? null : [i, rank] as const)).filter((v) => v !== null);
    if (retry.length) {
      for (const [i, rank] of retry) this.rankOf.set(key(runs[i]!.id), rank);
      const again = await ctx.api.series(ctx.project, { ...body, queries: retry.map(([i]) => query(runs[i]!.id)) }, ctx.signal);
      series = series.slice();
      retry.forEach(([i], j) => { series[i] = again.series[j]!; });
    }
    const drawn: RunSeries[] = [];
    series.forEach((e, i) => {
      const r = runs[i]!;
      if (isError(e)) { notes.push(`${r.label}: ${e.message}`); return; }
      const label = e.rank >= 0 ? `${r.label} · rank ${e.rank}` : r.label;
      drawn.push({ key: r.id, label, color: r.color, series: e, startMs: r.startMs });
    });
    const model = buildModel(drawn, ctx.view.x, ctx.view.smoothing, ctx.view.logY);
    model.notes.push(...notes);
    model.xRange = visibleRange(model, shown, ctx.view.zoom !== null);
    return model;
  }
}

/** The union of the runs' step ranges of this metric, [first, last + 1). */
export function stepExtent(ctx: PanelContext): { from: number; to: number } | null {
  const ms = ctx.runs.map((r) => r.metric).filter((m) => m !== null);
  if (!ms.length) return null;
  return { from: Math.min(...ms.map((m) => m.first_step)), to: Math.max(...ms.map((m) => m.last_step)) + 1 };
}

/** The zoomed range on the chart's axis: the steps themselves, or the times of the buckets inside them. */
function visibleRange(m: ChartModel, shown: { from: number; to: number }, zoomed: boolean): [number, number] | null {
  if (!zoomed) return null;
  if (m.xAxis === 'step') return [shown.from, shown.to - 1];
  let lo: number | null = null, hi: number | null = null;
  m.x.forEach((x, i) => {
    if (!stepsAt(m, i).some((s) => s + m.bucket > shown.from && s < shown.to)) return;
    lo ??= x;
    hi = x;
  });
  return lo === null || hi === null || hi <= lo ? null : [lo, hi];
}

function firstRank(details: Record<string, unknown> | undefined): number | null {
  const ranks = details?.['ranks'];
  if (Array.isArray(ranks) && typeof ranks[0] === 'number') return ranks[0];
  if (ranks && typeof ranks === 'object' && typeof (ranks as { first?: unknown }).first === 'number') return (ranks as { first: number }).first;
  return null;
}
