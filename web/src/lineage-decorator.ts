// Lineage on the charts (GET /runs/:run/lineage): a dashed mark where a restart's attempt takes
// over ("restart: attempt N"), and where a fork's own history begins after its parent's part
// ("fork of P at S", with a note that the steps below are the parent's); with `superseded=1` in the
// URL, the points each restart superseded, drawn dashed from `?attempt=N` (lineage-superseded.ts).
import type { Api } from './api.js';
import type { ChartModel } from './chart-model.js';
import { withAlpha } from './chart.js';
import { formatStepExact } from './format.js';
import type { Lineage } from './lineage-ranks-types.js';
import { addSupersededLayers } from './lineage-superseded.js';
import type { PanelContext, PanelDecorator } from './registry.js';

/** `run`: whose history changes hands there (a fork's parent's restart is the parent's). */
export interface Boundary { step: number; kind: 'restart' | 'fork'; label: string; short: string; attempt: number; run: string }

/** Where the effective history changes hands: a restart (same run, next attempt) or a fork (parent to child). */
export function boundaries(l: Lineage): Boundary[] {
  const out: Boundary[] = [];
  l.segments.forEach((s, i) => {
    const prev = l.segments[i - 1];
    if (!prev) return;
    if (s.run !== prev.run) out.push({ step: s.from, kind: 'fork', label: `fork of ${prev.run} at ${formatStepExact(s.from)}`, short: 'fork', attempt: s.attempt, run: s.run });
    else if (s.attempt !== prev.attempt) out.push({ step: s.from, kind: 'restart', label: `restart: attempt ${s.attempt}`, short: `#${s.attempt}`, attempt: s.attempt, run: s.run });
  });
  return out;
}

/** Lineages read once per run (a live view forgets a running run's after each poll). */
export class LineageCache {
  private readonly byRun = new Map<string, Promise<Lineage | null>>();
  get(api: Api, project: string, run: string): Promise<Lineage | null> {
    const key = `${project}\0${run}`;
    if (!this.byRun.has(key)) this.byRun.set(key, api.lineage(project, run).catch(() => null));
    return this.byRun.get(key)!;
  }
  forget(project: string, run: string): void { this.byRun.delete(`${project}\0${run}`); }
}

/**
 * x of a step on the chart's axis: the step itself, or the x of the first of the run's own buckets
 * that begins at or after it (a bucket holding the step began before it, and may have been logged
 * long before: by the attempt the step's owner replaced), else of the bucket holding it. On a time
 * axis several runs' buckets interleave: only the run's own count.
 */
function xOfStep(m: ChartModel, run: string, step: number): number | null {
  if (m.xAxis === 'step') return step;
  const own: (number | null)[] = m.layers.find((l) => l.key === run)?.steps ?? m.steps;
  let i = own.findIndex((s) => s !== null && s >= step);
  if (i < 0) i = own.findIndex((s) => s !== null && s + m.bucket > step);
  return i < 0 ? null : m.x[i]!;
}

export class LineageDecorator implements PanelDecorator {
  readonly name = 'lineage';
  constructor(readonly cache: LineageCache) {}

  async decorate(ctx: PanelContext, model: ChartModel): Promise<void> {
    const runs = ctx.runs.filter((r) => r.metric);
    const lineages = await Promise.all(runs.map((r) => this.cache.get(ctx.api, ctx.project, r.id)));
    const many = runs.length > 1;
    runs.forEach((r, i) => {
      const l = lineages[i];
      if (!l) return;
      for (const b of boundaries(l)) {
        // A parent's restart in a fork's history: marked once, by the parent, when it is charted too.
        const inherited = b.run !== r.id;
        if (inherited && runs.some((o) => o.id === b.run)) continue;
        const x = xOfStep(model, r.id, b.step);
        if (x !== null) model.verticals.push({ x, label: `${many ? `${r.label}: ` : ''}${b.label}${inherited ? ` (of ${b.run})` : ''}`, short: b.short, color: b.kind === 'fork' ? '#7b2cbf' : withAlpha(r.color, 0.9) });
      }
      if (l.fork_of && l.fork_of.step > 0) model.notes.push(`${r.label}: steps below ${formatStepExact(l.fork_of.step)} are its parent ${l.fork_of.run}'s`);
      if (l.cut) model.notes.push(`${r.label}: parent ignored (${l.cut})`);
    });
    if (ctx.view.extra['superseded'] === '1') await addSupersededLayers(ctx, model, runs, lineages);
  }
}
