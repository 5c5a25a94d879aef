// Live charts: a model remembers how to grow itself. Each source that supports it files a
// `Grow` for the model it built (the answers it drew, and how to read what came after them);
// live.ts asks the model on screen to grow every few seconds.
import { buildModel, type ChartModel, type RunSeries } from './chart-model.js';
import { mergeTail, tailRange } from './live-merge.js';
import type { PanelContext } from './registry.js';
import { SeriesSource } from './series-source.js';
import { isError, type Series, type SeriesQuery } from './types.js';

export type Grow = (ctx: PanelContext) => Promise<ChartModel | null>;
const growers = new WeakMap<ChartModel, Grow>();

export function fileGrow(model: ChartModel, grow: Grow): ChartModel { growers.set(model, grow); return model; }

/** For PanelGrid.extendVisible: the model grown by what is new, or null when it cannot grow. */
export function growModel(ctx: PanelContext, model: ChartModel): Promise<ChartModel | null> {
  if (ctx.view.zoom) return Promise.resolve(null); // a zoomed view is a fixed range
  return growers.get(model)?.(ctx) ?? Promise.resolve(null);
}

/** One drawn layer's answer and the query that reads more of it. */
interface Drawn { layer: RunSeries; query: SeriesQuery }

/** The model of drawn layers, filed with how it grows: one POST /series for every layer's tail. */
export function seriesModel(ctx: PanelContext, drawn: Drawn[], notes: string[]): ChartModel {
  const model = buildModel(drawn.map((d) => d.layer), ctx.view.x, ctx.view.smoothing, ctx.view.logY);
  model.notes.push(...notes);
  return fileGrow(model, async (now) => {
    const ranges = drawn.map((d) => tailRange(d.layer.series as unknown as Parameters<typeof tailRange>[0])).filter((r) => r !== null);
    if (!ranges.length) return null;
    const from = Math.min(...ranges.map((r) => r.from));
    const { to, points } = { to: from + (ranges[0]!.to - ranges[0]!.from), points: ranges[0]!.points };
    const x = now.view.x === 'step' ? 'step' : 'time';
    const { series } = await now.api.series(now.project, { queries: drawn.map((d) => d.query), from, to, points, x }, now.signal);
    const grown: Drawn[] = [];
    for (const [i, d] of drawn.entries()) {
      const tail = series[i];
      const merged = tail && !isError(tail) ? mergeTail(d.layer.series as never, tail as never) as Series | null : d.layer.series;
      if (!merged) return null; // another bucket width: leave it to the next full load
      grown.push({ query: d.query, layer: { ...d.layer, series: merged } });
    }
    return seriesModel(now, grown, notes);
  });
}

/**
 * The default source, reading what it drew so the model can grow: the same loads, through an API
 * that keeps each batch's queries and answers.
 */
export class LiveSeriesSource extends SeriesSource {
  override async load(ctx: PanelContext): Promise<ChartModel> {
    const answered = new Map<string, { query: SeriesQuery; series: Series }>();
    const api = Object.create(ctx.api) as typeof ctx.api;
    api.series = async (project, body, signal) => {
      const a = await ctx.api.series(project, body, signal);
      a.series.forEach((e, i) => { const q = body.queries[i]!; if (!isError(e) && q.attempt === undefined) answered.set(q.run, { query: q, series: e }); });
      return a;
    };
    const model = await super.load({ ...ctx, api });
    if (ctx.view.zoom) return model;
    const drawn = model.layers.map((l) => {
      const a = answered.get(l.key);
      const run = ctx.runs.find((r) => r.id === l.key);
      return a && run ? { query: a.query, layer: { key: l.key, label: l.label, color: l.color, series: a.series, startMs: run.startMs } } : null;
    });
    if (drawn.some((d) => d === null) || !drawn.length) return model;
    return fileGrow(model, async (now) => {
      const grown = await growers.get(seriesModel(now, drawn as Drawn[], model.notes))!(now);
      return grown;
    });
  }
}
