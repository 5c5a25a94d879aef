// Per-rank metrics (logged by ranks >= 0, more than one): by default the band across ranks of each
// run (GET /ranks/series: min and max over every rank per bucket, the mean line, and which rank
// holds the min and the max, named in the legend and under the chart); with a rank picked
// (`rank=N` in the URL), that rank's own series. On a time axis the band's buckets are placed at
// the times of the same buckets of rank 0 (POST /series x=time over the same range and points: the
// buckets are aligned alike, docs/api.md).
import { bucketX, type ChartModel, type RunSeries } from '../chart-model.js';
import { fileGrow, seriesModel } from '../live-source.js';
import { mergeTail, tailRange } from '../live-merge.js';
import type { RankBand } from '../lineage-ranks-types.js';
import type { ChartRun, PanelContext, PanelSource } from '../registry.js';
import { stepExtent } from '../series-source.js';
import { marginPoints } from '../smoothing.js';
import { isError, type Series } from '../types.js';

/** The rank the view picked (`rank=N`), or null for the band across ranks. */
export function pickedRank(ctx: { view: { extra: Record<string, string> } }): number | null {
  const r = ctx.view.extra['rank'];
  return r !== undefined && /^\d+$/.test(r) ? Number(r) : null;
}

export function isPerRank(run: ChartRun): boolean { return (run.metric?.ranks ?? 0) > 1; }

/** The rank whose buckets' times place the band's on a time axis. */
const TIME_RANK = 0;

/** A band with, on a time axis, each bucket's times (TIME_RANK's same bucket; null where it has none). */
type TimedBand = RankBand & Pick<Series, 'time_first' | 'time_last'>;

/** The band as a series (the chart's columns), named by `ranks 0–N`. */
function asSeries(b: TimedBand): Series {
  return {
    metric: b.metric, rank: -1, from: b.from, to: b.to, bucket: b.bucket, tier: 0, x: b.x, min: b.min, max: b.max, mean: b.mean, first: [], last: [], count: b.count, nonfinite: b.nonfinite,
    ...(b.time_first ? { time_first: b.time_first, time_last: b.time_last ?? [] } : {}),
  };
}

function withTimes(b: RankBand, s: Series | null): TimedBand {
  const at = new Map((s?.x ?? []).map((x, i) => [x, i]));
  const time = (col: (number | null)[] | undefined) => b.x.map((x) => { const i = at.get(x); return i === undefined ? null : col?.[i] ?? null; });
  return { ...b, time_first: time(s?.time_first), time_last: time(s?.time_last) };
}

type Range = { from: number; to: number; points: number };

/** Each run's band over a range; on a time axis with its buckets' times (a note where rank 0 has none to give). */
async function readBands(ctx: PanelContext, runs: ChartRun[], range: Range, notes: string[]): Promise<(TimedBand | Error)[]> {
  const byTime = ctx.view.x !== 'step';
  const [bands, clocks] = await Promise.all([
    Promise.all(runs.map((r) => ctx.api.rankBand(ctx.project, r.id, { metric: ctx.metric, ...range }, ctx.signal).catch((err: Error) => err))),
    // NOTE: the times failing to be read leave the band without them (not drawn on this axis, a note says why), not the panel failed.
    byTime ? ctx.api.series(ctx.project, { queries: runs.map((r) => ({ run: r.id, metric: ctx.metric, rank: TIME_RANK })), ...range, x: 'time' }, ctx.signal)
      .then((a): (Series | string)[] => a.series.map((e) => (isError(e) ? `it has none here: pick a rank` : e)))
      .catch((err: Error) => { if (ctx.signal.aborted) throw err; return runs.map(() => `they could not be read (${err.message})`); }) : null,
  ]);
  return bands.map((b, i) => {
    const c = clocks?.[i];
    if (b instanceof Error || c === undefined) return b;
    if (typeof c === 'string') notes.push(`${runs[i]!.label}: the band is placed at rank ${TIME_RANK}'s times, and ${c}`);
    return withTimes(b, typeof c === 'string' ? null : c);
  });
}

/** The rank that holds the most buckets' max (or min), with how many. */
export function mostOften(ranks: (number | null)[]): { rank: number; buckets: number } | null {
  const counts = new Map<number, number>();
  for (const r of ranks) if (r !== null) counts.set(r, (counts.get(r) ?? 0) + 1);
  let best: { rank: number; buckets: number } | null = null;
  for (const [rank, buckets] of counts) if (!best || buckets > best.buckets || (buckets === best.buckets && rank < best.rank)) best = { rank, buckets };
  return best;
}

export class RankSource implements PanelSource {
  readonly name = 'ranks';

  claims(ctx: PanelContext): boolean { return ctx.runs.some(isPerRank); }

  async load(ctx: PanelContext): Promise<ChartModel> {
    const runs = ctx.runs.filter((r) => r.metric);
    const notes = ctx.runs.filter((r) => !r.metric).map((r) => `${r.label}: no ${ctx.metric}`);
    const full = stepExtent(ctx);
    const shown = ctx.view.zoom ?? full;
    const rank = pickedRank(ctx);
    if (!shown || !runs.length) return seriesModel(ctx, [], notes);
    // As the default source: smoothing reads the points before a zoomed range too (smoothing.ts).
    const density = Math.max(...runs.map((r) => (r.metric!.last_step - r.metric!.first_step + 1) / Math.max(1, r.metric!.count / Math.max(1, r.metric!.ranks))));
    const from = Math.max(full!.from, shown.from - Math.ceil(marginPoints(ctx.view.smoothing) * density));
    const range = { from, to: shown.to, points: Math.max(1, Math.ceil(ctx.width * ((shown.to - from) / Math.max(1, shown.to - shown.from)))) };
    if (rank !== null) {
      const queries = runs.map((r) => ({ run: r.id, metric: ctx.metric, rank }));
      const { series } = await ctx.api.series(ctx.project, { queries, ...range, x: ctx.view.x === 'step' ? 'step' : 'time' }, ctx.signal);
      const drawn = series.flatMap((e, i) => {
        const r = runs[i]!;
        if (isError(e)) { notes.push(`${r.label}: rank ${rank}: ${e.message}`); return []; }
        return [{ query: queries[i]!, layer: { key: r.id, label: `${r.label} · rank ${rank}`, color: r.color, series: e, startMs: r.startMs } }];
      });
      return withRange(seriesModel(ctx, drawn, notes), ctx);
    }
    return withRange(this.bandModel(ctx, runs, await readBands(ctx, runs, range, notes), notes), ctx);
  }

  private bandModel(ctx: PanelContext, runs: ChartRun[], bands: (TimedBand | Error)[], notes: string[]): ChartModel {
    const drawn: RunSeries[] = [];
    const kept: { run: ChartRun; band: TimedBand }[] = [];
    const extra: string[] = [];
    bands.forEach((b, i) => {
      const r = runs[i]!;
      if (b instanceof Error) { notes.push(`${r.label}: ${b.message}`); return; }
      const ranks = Math.max(0, ...b.ranks);
      drawn.push({ key: r.id, label: `${r.label} · ${ranks} ranks (band)`, color: r.color, series: asSeries(b), startMs: r.startMs });
      kept.push({ run: r, band: b });
      const hi = mostOften(b.max_rank), lo = mostOften(b.min_rank);
      if (hi && lo) extra.push(`${r.label}: max most often rank ${hi.rank} (${hi.buckets} of ${b.x.length} buckets), min rank ${lo.rank} (${lo.buckets})`);
    });
    const model = seriesModel(ctx, drawn.map((layer) => ({ layer, query: { run: layer.key, metric: ctx.metric } })), [...notes, ...extra]);
    // Which rank holds each bucket's min and max, on the chart's x.
    const at = new Map(model.x.map((x, i) => [x, i]));
    model.layers.forEach((l, i) => {
      const { run, band: b } = kept[i]!;
      const bx = bucketX(asSeries(b), model.xAxis, run.startMs);
      const min: (number | null)[] = new Array(model.x.length).fill(null), max = [...min];
      b.x.forEach((_, j) => { const k = bx[j] === null ? undefined : at.get(bx[j]!); if (k !== undefined) { min[k] = b.min_rank[j] ?? null; max[k] = b.max_rank[j] ?? null; } });
      l.bandRanks = { min, max };
    });
    return fileGrow(model, async (now) => {
      const grown = await Promise.all(kept.map(async ({ run, band }) => {
        const tail = tailRange(band as never);
        if (!tail) return band;
        const [grown] = await readBands(now, [run], tail, []);
        if (grown instanceof Error) throw grown;
        return mergeTail(band as never, grown as never) as TimedBand | null;
      }));
      if (grown.some((b) => b === null)) return null;
      return this.bandModel(now, kept.map((k) => k.run), grown as TimedBand[], notes);
    });
  }
}

function withRange(model: ChartModel, ctx: PanelContext): ChartModel {
  if (ctx.view.zoom && model.xAxis === 'step') model.xRange = [ctx.view.zoom.from, ctx.view.zoom.to - 1];
  return model;
}
