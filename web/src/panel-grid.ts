// Metric panels grouped by name prefix (train/, eval/, system/ ...), each
// group collapsible, filtered by the metric filter box. Panels are cheap
// shells until an IntersectionObserver sees them on screen: only those load
// (a run with 1,000 metrics stays fast); a change of the view marks every
// panel stale and reloads the ones on screen, the others when they show.
import { Panel, type PanelEnv } from './panel.js';

/** Metrics without a prefix first, then these groups in this order, then the others by name. */
const FIRST_GROUPS = ['train', 'eval', 'system'];

export function groupOrder(groups: Iterable<string>): string[] {
  const rank = (g: string) => { const i = FIRST_GROUPS.indexOf(g); return g === '' ? -1 : i >= 0 ? i : FIRST_GROUPS.length; };
  return [...groups].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
}

export function groupOf(metric: string): string {
  const i = metric.indexOf('/');
  return i > 0 ? metric.slice(0, i) : '';
}

export interface GridEnv extends PanelEnv {
  onToggleGroup(group: string, collapsed: boolean): void;
}

export class PanelGrid {
  readonly panels = new Map<string, Panel>();
  private readonly onScreen = new Set<Panel>();
  private readonly observer: IntersectionObserver;
  private readonly byElement = new WeakMap<Element, Panel>();
  /** The panel a zoom was dragged on, until the view it asked for is loaded. */
  private lead: string | null = null;

  constructor(private readonly root: HTMLElement, private readonly env: GridEnv) {
    this.observer = new IntersectionObserver((entries) => {
      for (const e of entries) {
        const p = this.byElement.get(e.target);
        if (!p) continue;
        if (e.isIntersecting) { this.onScreen.add(p); if (p.stale) void p.load(); } else this.onScreen.delete(p);
      }
    }, { rootMargin: '200px 0px' });
  }

  /** Lays out the panels of `metrics` that pass `filter`, groups in `collapsed` folded. */
  show(metrics: string[], filter: string, collapsed: readonly string[]): void {
    const f = filter.trim().toLowerCase();
    const wanted = metrics.filter((m) => !f || m.toLowerCase().includes(f)).sort();
    for (const [name, p] of this.panels) if (!wanted.includes(name)) { this.observer.unobserve(p.el); this.onScreen.delete(p); p.destroy(); this.panels.delete(name); }
    const groups = new Map<string, string[]>();
    for (const m of wanted) { const g = groupOf(m); groups.set(g, [...(groups.get(g) ?? []), m]); }
    const sections: HTMLElement[] = [];
    for (const g of groupOrder(groups.keys())) {
      const names = groups.get(g)!;
      const details = document.createElement('details');
      details.className = 'group';
      details.dataset['group'] = g;
      details.open = !collapsed.includes(g);
      const summary = document.createElement('summary');
      summary.textContent = `${g ? `${g}/` : 'no prefix'} (${names.length})`;
      details.addEventListener('toggle', () => this.env.onToggleGroup(g, !details.open));
      const grid = document.createElement('div');
      grid.className = 'panels';
      for (const m of names) {
        let p = this.panels.get(m);
        if (!p) {
          const metric = m;
          p = new Panel(m, { ...this.env, onZoom: (a, b) => { this.lead = metric; this.env.onZoom(a, b); } });
          this.panels.set(m, p);
          this.byElement.set(p.el, p);
          this.observer.observe(p.el);
        }
        grid.append(p.el);
      }
      details.append(summary, grid);
      sections.push(details);
    }
    this.root.replaceChildren(...sections);
  }

  /** The view changed: every panel is stale; the ones on screen load now. */
  invalidate(): void {
    for (const p of this.panels.values()) p.stale = true;
    const lead = this.lead === null ? undefined : this.panels.get(this.lead);
    this.lead = null;
    if (lead && this.onScreen.has(lead)) {
      // NOTE: the chart the zoom was dragged on loads first, the others once
      // it is drawn: all at once, its request waited behind theirs in the
      // engine (~250 ms for 16 panels, against ~30 ms alone).
      void lead.load().finally(() => { for (const p of this.onScreen) if (p.stale) void p.load(); });
      return;
    }
    for (const p of this.onScreen) void p.load();
  }

  /** Reloads the panels on screen only (a live view extending its charts). */
  refreshVisible(): void { for (const p of this.onScreen) void p.load(); }

  /** A live view: each panel on screen grows its chart by what `make` fetched (panel.extend). */
  extendVisible(make: Parameters<Panel['extend']>[0]): Promise<void[]> {
    return Promise.all([...this.onScreen].map((p) => p.extend(make)));
  }

  clear(): void {
    for (const p of this.panels.values()) { this.observer.unobserve(p.el); p.destroy(); }
    this.panels.clear();
    this.onScreen.clear();
    this.root.replaceChildren();
  }
}
