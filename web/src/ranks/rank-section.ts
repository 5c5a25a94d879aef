// The ranks section of the page, for the first picked run with per-rank metrics: the rank picker
// (in the toolbar: the band across ranks, or one rank), and for one per-rank metric (its own
// picker) the straggler heatmap (rank groups × step buckets), the top-k ranks by mean and the
// stragglers list, over the zoomed range. Clicking a rank in a list picks it. URL: `rank`, `rankmetric`.
import type { Api } from '../api.js';
import { afterCharts, SECOND_WAIT_MS } from '../panel.js';
import type { ChartRun, PageSection } from '../registry.js';
import type { RunDetail } from '../types.js';
import type { ViewState } from '../view-state.js';
import type { ViewStore } from '../view-store.js';
import { drawHeatmap } from './heatmap.js';
import './ranks.css';
import { TOP_K, rankItem, stragglerItem } from './rank-lists.js';

const PREFERRED = 'system/step_time_ms';
/** How long the view must stand still after the charts are drawn before the section reads. */
const SECTION_QUIET_MS = 400;

export class RankSection implements PageSection {
  readonly name = 'ranks';
  private api!: Api;
  private el!: HTMLElement;
  private readonly picker = document.createElement('select');
  private readonly metricPicker = document.createElement('select');
  private shown = '';
  private seq = 0;

  constructor(private readonly store: ViewStore) {}

  mount(el: HTMLElement, api: Api): void {
    this.api = api;
    this.el = el;
    el.className = 'ranks-section';
    el.hidden = true;
    this.picker.id = 'rank-pick';
    this.picker.addEventListener('change', () => this.store.update((v) => { setExtra(v, 'rank', this.picker.value); }, true));
    this.metricPicker.id = 'rank-metric';
    this.metricPicker.addEventListener('change', () => this.store.update((v) => { setExtra(v, 'rankmetric', this.metricPicker.value); }, true));
    const label = document.createElement('label');
    label.append('ranks ', this.picker);
    label.id = 'rank-pick-label';
    label.hidden = true;
    document.querySelector('.toolbar')?.append(label);
  }

  // NOTE: the first picked run's detail as the page read it (null until then: the page updates its sections again once read).
  update(view: ViewState, runs: ChartRun[]): void { void this.render(view, runs[0]?.detail ?? null); }

  private async render(v: ViewState, d: RunDetail | null): Promise<void> {
    const seq = ++this.seq;
    const run = v.runs[0];
    const perRank = (d?.metrics ?? []).filter((m) => m.ranks > 1);
    const label = document.getElementById('rank-pick-label');
    this.el.hidden = !perRank.length;
    if (label) label.hidden = !perRank.length;
    if (!d || !perRank.length || !v.project) return;
    const ranks = Math.max(...perRank.map((m) => m.ranks));
    const options = [['', `all ${ranks} ranks (band)`], ...Array.from({ length: ranks }, (_, r) => [String(r), `rank ${r}`])];
    if (this.picker.options.length !== options.length) this.picker.replaceChildren(...options.map(([value, text]) => new Option(text, value)));
    this.picker.value = v.extra['rank'] ?? '';
    const metric = perRank.some((m) => m.name === v.extra['rankmetric']) ? v.extra['rankmetric']! : perRank.some((m) => m.name === PREFERRED) ? PREFERRED : perRank[0]!.name;
    if (this.metricPicker.options.length !== perRank.length) this.metricPicker.replaceChildren(...perRank.map((m) => new Option(m.name, m.name)));
    this.metricPicker.value = metric;

    const range = v.zoom ? { from: v.zoom.from, to: v.zoom.to } : {};
    // NOTE: once the charts on screen are drawn and the view stood still for a
    // moment (the heatmap's read is a page's heaviest): the charts' reads go
    // first, and a view changed again at once (a zoom, then a reset) is not read.
    await afterCharts(SECOND_WAIT_MS + SECTION_QUIET_MS, SECTION_QUIET_MS);
    if (seq !== this.seq) return;
    const key = JSON.stringify([v.project, run, metric, range]);
    if (key === this.shown) return;
    this.shown = key;
    const [heat, top, stragglers] = await Promise.all([
      this.api.rankHeatmap(v.project, run!, { metric, ...range, points: 200, rows: 64, stat: 'mean' }),
      this.api.rankList(v.project, run!, { metric, ...range, sort: 'mean', order: 'desc', limit: TOP_K }),
      this.api.rankStragglers(v.project, run!, { metric, ...range }),
    ]).catch((err: Error) => { this.el.textContent = `ranks could not be read: ${err.message}`; return [null, null, null] as const; });
    if (seq !== this.seq || !heat || !top || !stragglers) return;

    const head = document.createElement('h3');
    head.textContent = `Across ranks of ${d.name ?? run}: `;
    head.append(this.metricPicker);
    const canvas = document.createElement('canvas');
    canvas.className = 'heatmap';
    drawHeatmap(canvas, heat);
    const pick = (rank: number) => this.store.update((x) => { setExtra(x, 'rank', String(rank)); }, true);
    const topList = document.createElement('ol');
    topList.className = 'rank-top';
    topList.append(...top.ranks.filter((r) => r.rank >= 0).map((r) => rankItem(r, pick)));
    const slowList = document.createElement('ol');
    slowList.className = 'rank-stragglers';
    slowList.append(...stragglers.ranks.map((r) => stragglerItem(r, stragglers, pick)));
    if (!stragglers.ranks.length) slowList.append(Object.assign(document.createElement('li'), { textContent: 'none' }));
    const lists = document.createElement('div');
    lists.className = 'rank-lists';
    lists.append(titled(`top ${TOP_K} by mean`, topList), titled(`stragglers (robust z > 3.5; median ${fmt(stragglers.median)})`, slowList));
    this.el.dataset['metric'] = metric;
    this.el.replaceChildren(head, canvas, lists);
  }
}

function setExtra(v: ViewState, key: string, value: string): void {
  if (value) v.extra[key] = value; else delete v.extra[key];
}

function titled(title: string, list: HTMLElement): HTMLElement {
  const box = document.createElement('div');
  const h = document.createElement('h4');
  h.textContent = title;
  box.append(h, list);
  return box;
}

function fmt(v: number | null): string { return v === null ? '–' : v.toPrecision(4); }
