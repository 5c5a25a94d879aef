// One metric's panel: a title, a chart made the first time it is on screen,
// and its state (data-state: idle, loading, ready, empty, error). Loads only
// when asked (the grid asks for panels on screen); a newer load aborts the
// older one, so a stale answer is never drawn.
import { Chart } from './chart.js';
import { stepsAt, type ChartModel } from './chart-model.js';
import { formatStepExact } from './format.js';
import type { PanelContext, Registry } from './registry.js';

/** The performance mark made after each draw of a chart (tests and the bench wait on it). */
export const DRAWN_MARK = 'stepstream:chart-drawn';

/** Longest what comes second (the run table, the ranks section) waits for the charts. */
export const SECOND_WAIT_MS = 1500;

/**
 * Resolves once the charts on screen are drawn (a chart of this page drawn,
 * no panel loading) and have stayed so for `quietMs`, or after `ms`. What a
 * page shows second reads after this: the store runs one read of a project
 * at a time, so the charts' reads would otherwise wait behind it.
 */
export function afterCharts(ms: number, quietMs = 0): Promise<void> {
  const deadline = performance.now() + ms;
  let quietSince: number | null = null;
  return new Promise((resolve) => {
    const check = () => {
      const now = performance.now();
      const drawn = performance.getEntriesByName(DRAWN_MARK).length > 0 && !document.querySelector('.panel[data-state="loading"]');
      quietSince = drawn ? quietSince ?? now : null;
      if ((quietSince !== null && now - quietSince >= quietMs) || now >= deadline) resolve();
      else setTimeout(check, 50);
    };
    // NOTE: a tick later: a view change reaches the sections before the panels it reloads.
    setTimeout(check, 50);
  });
}

export interface PanelEnv {
  registry: Registry;
  /** The context of a load (everything but the signal and the width). */
  context(metric: string): Omit<PanelContext, 'signal' | 'width'> | null;
  onZoom(from: number, to: number): void;
  onReset(): void;
  logY(): boolean;
}

export class Panel {
  readonly el: HTMLElement;
  /** Loads started (tests check that panels off screen fetch nothing). */
  loads = 0;
  /** True when the view changed since the last load. */
  stale = true;
  private chart: Chart | null = null;
  private abort: AbortController | null = null;
  private readonly body: HTMLElement;
  private readonly info: HTMLElement;

  constructor(readonly metric: string, private readonly env: PanelEnv) {
    this.el = document.createElement('section');
    this.el.className = 'panel';
    this.el.dataset['metric'] = metric;
    this.el.dataset['state'] = 'idle';
    const title = document.createElement('h3');
    title.textContent = metric;
    this.body = document.createElement('div');
    this.body.className = 'panel-body';
    this.info = document.createElement('div');
    this.info.className = 'panel-info';
    this.el.append(title, this.body, this.info);
  }

  get model(): ChartModel | null { return this.chart?.current ?? null; }
  get yRange(): [number, number] | null { return this.chart?.yRange ?? null; }

  async load(): Promise<void> {
    const base = this.env.context(this.metric);
    if (!base) return;
    this.abort?.abort();
    const abort = (this.abort = new AbortController());
    this.stale = false;
    this.loads++;
    this.setState('loading', this.model ? '' : 'Loading…');
    const ctx: PanelContext = { ...base, signal: abort.signal, width: Math.max(200, this.body.clientWidth || 600) };
    try {
      const model = await this.env.registry.sourceFor(ctx).load(ctx);
      for (const d of this.env.registry.decorators) await d.decorate(ctx, model);
      if (abort.signal.aborted) return;
      this.draw(model);
    } catch (err) {
      if (abort.signal.aborted) return;
      this.setState('error', (err as Error).message);
    }
  }

  /**
   * A live view extending the chart: `make` returns a model grown from the one drawn (or null),
   * drawn in place with the decorators applied; skipped while a load runs or the view is stale.
   */
  async extend(make: (ctx: PanelContext, model: ChartModel) => Promise<ChartModel | null>): Promise<void> {
    const model = this.model, base = this.env.context(this.metric);
    if (!model || !base || this.stale || this.el.dataset['state'] !== 'ready') return;
    const abort = (this.abort = new AbortController());
    const ctx: PanelContext = { ...base, signal: abort.signal, width: Math.max(200, this.body.clientWidth || 600) };
    try {
      const next = await make(ctx, model);
      if (!next || abort.signal.aborted) return;
      for (const d of this.env.registry.decorators) await d.decorate(ctx, next);
      if (!abort.signal.aborted) this.draw(next);
    } catch (err) {
      if (!abort.signal.aborted) this.info.textContent = `live update failed: ${(err as Error).message}`;
    }
  }

  /** Forgets the chart (the panel left the view for good, or the layout changed). */
  destroy(): void {
    this.abort?.abort();
    this.chart?.destroy();
    this.chart = null;
  }

  private draw(model: ChartModel): void {
    if (!model.layers.length) {
      this.chart?.destroy();
      this.chart = null;
      this.setState('empty', model.notes.join('; ') || 'No points in this range.');
      return;
    }
    this.chart ??= new Chart(this.body, {
      onZoom: (a, b) => this.zoomTo(a, b),
      onReset: () => this.env.onReset(),
      // For the dashboard bench and tests: when each chart was drawn, at which bucket width.
      onDrawn: () => performance.mark(DRAWN_MARK, { detail: { metric: this.metric, bucket: this.model?.bucket ?? null } }),
    }, () => this.env.logY());
    this.chart.setModel(model);
    const res = model.bucket === 1 ? 'raw points' : `buckets of ${formatStepExact(model.bucket)} steps`;
    this.setState('ready', [res, ...model.notes].join(' · '));
    this.el.dataset['bucket'] = String(model.bucket);
  }

  /** A drag over [a, b) on the chart's axis: the steps of the buckets inside it. */
  private zoomTo(a: number, b: number): void {
    const m = this.model;
    if (!m) return;
    if (m.xAxis === 'step') { this.env.onZoom(Math.max(0, Math.floor(a)), Math.ceil(b)); return; }
    let from: number | null = null, to: number | null = null;
    m.x.forEach((x, i) => {
      if (x < a || x > b) return;
      for (const s of stepsAt(m, i)) {
        from = from === null ? s : Math.min(from, s);
        to = to === null ? s + m.bucket : Math.max(to, s + m.bucket);
      }
    });
    if (from !== null && to !== null && to > from) this.env.onZoom(from, to);
  }

  private setState(state: string, info: string): void {
    this.el.dataset['state'] = state;
    this.info.textContent = info;
  }
}
