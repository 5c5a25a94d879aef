// Extension points. A panel asks the first source that claims it for its
// model (the default source reads POST /series; a per-rank source, say,
// can claim metrics logged per rank), then every decorator may add to the
// model (vertical marks for restarts, extra layers) before it is drawn.
// Sections are extra blocks of the page (a rank picker, a heatmap) given
// the view and told when it changes.
import type { Api } from './api.js';
import type { ChartModel } from './chart-model.js';
import type { RunDetail, RunMetric } from './types.js';
import type { ViewState } from './view-state.js';

/** A run picked for charting, with what its detail says about this panel's metric. */
export interface ChartRun {
  id: string;
  label: string;
  color: string;
  startMs: number | null;
  /** This metric in the run's detail; null when the run has no such metric. */
  metric: RunMetric | null;
  /** The run's detail; null until it is read (or when it could not be). */
  detail: RunDetail | null;
}

export interface PanelContext {
  api: Api;
  project: string;
  metric: string;
  runs: ChartRun[];
  view: ViewState;
  /** The plot's width in CSS pixels: the point budget. */
  width: number;
  /** Aborted when the answer would no longer match the view. */
  signal: AbortSignal;
}

export interface PanelSource {
  name: string;
  /** True when this source draws the panel; sources are asked latest registered first. */
  claims(ctx: PanelContext): boolean;
  load(ctx: PanelContext): Promise<ChartModel>;
}

export interface PanelDecorator {
  name: string;
  /** Adds to `model` in place (verticals, layers, notes). */
  decorate(ctx: PanelContext, model: ChartModel): Promise<void> | void;
}

export interface PageSection {
  name: string;
  /** Called once with the element the section owns (below the panels). */
  mount(el: HTMLElement, api: Api): void;
  /** Called after every change of the view. */
  update(view: ViewState, runs: ChartRun[]): void;
}

export class Registry {
  readonly sources: PanelSource[] = [];
  readonly decorators: PanelDecorator[] = [];
  readonly sections: PageSection[] = [];

  registerSource(s: PanelSource): void { this.sources.unshift(s); }
  registerDecorator(d: PanelDecorator): void { this.decorators.push(d); }
  registerSection(s: PageSection): void { this.sections.push(s); }

  sourceFor(ctx: PanelContext): PanelSource {
    const s = this.sources.find((x) => x.claims(ctx));
    if (!s) throw new Error(`no panel source claims ${ctx.metric}`);
    return s;
  }
}
