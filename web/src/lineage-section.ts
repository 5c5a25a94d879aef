// The lineage part of the page: the "superseded attempts" toggle in the toolbar (URL:
// `superseded=1`), and for each picked run with restarts or a parent, its history in words:
// which attempt owns which steps, and the parent part of a fork.
import type { Api } from './api.js';
import { formatStepExact } from './format.js';
import { LineageCache } from './lineage-decorator.js';
import type { PageSection } from './registry.js';
import type { ViewState } from './view-state.js';
import type { ViewStore } from './view-store.js';

export class LineageSection implements PageSection {
  readonly name = 'lineage';
  private api!: Api;
  private el!: HTMLElement;
  private readonly toggle = document.createElement('input');
  private seq = 0;

  constructor(private readonly store: ViewStore, private readonly cache: LineageCache) {}

  mount(el: HTMLElement, api: Api): void {
    this.api = api;
    this.el = el;
    el.className = 'lineage-section';
    this.toggle.type = 'checkbox';
    this.toggle.id = 'show-superseded';
    this.toggle.addEventListener('change', () => this.store.update((v) => {
      if (this.toggle.checked) v.extra['superseded'] = '1'; else delete v.extra['superseded'];
    }, true));
    const label = document.createElement('label');
    label.title = 'also draw the points later attempts of a restarted run superseded (dashed)';
    label.append(this.toggle, ' superseded attempts');
    document.querySelector('.toolbar')?.append(label);
  }

  update(view: ViewState): void {
    this.toggle.checked = view.extra['superseded'] === '1';
    void this.render(view);
  }

  private async render(v: ViewState): Promise<void> {
    const seq = ++this.seq;
    if (!v.project) { this.el.replaceChildren(); return; }
    const lineages = await Promise.all(v.runs.map((r) => this.cache.get(this.api, v.project!, r)));
    if (seq !== this.seq) return;
    const rows = lineages.flatMap((l) => {
      if (!l || (l.attempts.length < 2 && !l.fork_of)) return [];
      const li = document.createElement('li');
      li.dataset['run'] = l.run;
      const parts = l.segments.map((s) => `${s.run === l.run ? `attempt ${s.attempt}` : `parent ${s.run} (attempt ${s.attempt})`}: steps ${formatStepExact(s.from)}–${s.to === null ? 'on' : formatStepExact(s.to - 1)}`);
      const lost = l.attempts.filter((a) => !l.segments.some((s) => s.run === l.run && s.attempt === a.attempt)).map((a) => `attempt ${a.attempt} superseded whole`);
      li.textContent = `${l.run}: ${[...parts, ...lost].join('; ')}${l.fork_of ? ` (fork of ${l.fork_of.run} at step ${formatStepExact(l.fork_of.step)})` : ''}`;
      return [li];
    });
    if (!rows.length) { this.el.replaceChildren(); return; }
    const h = document.createElement('h3');
    h.textContent = 'Lineage';
    const ul = document.createElement('ul');
    ul.append(...rows);
    this.el.replaceChildren(h, ul);
  }
}
