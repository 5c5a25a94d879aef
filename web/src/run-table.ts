// The run table: one page of GET /runs at a time (filtered, sorted and paged
// by the server; next_cursor leads on), so a project of 10,000 runs costs a
// page. Columns: name, the config keys and summary metrics the view names
// (next to the name, so the columns asked for are in view in the sidebar),
// then status, tags, start, duration, last step. A row's box picks the run.
import { ApiError, type Api } from './api.js';
import { formatDuration, formatStepExact, formatTime, formatValue, formatWhen } from './format.js';
import { num, type Run, type RunPage } from './types.js';
import type { TableState } from './view-state.js';

export const PAGE_SIZE = 100;

export interface TableEnv {
  api: Api;
  picked(): readonly string[];
  onPick(runs: string[], on: boolean): void;
  onSort(sort: string): void;
  onError(err: unknown): void;
}

export class RunTable {
  /** Cursors of the pages before this one (the first page has none). */
  private cursors: (string | null)[] = [];
  private cursor: string | null = null;
  private page: RunPage | null = null;
  private abort: AbortController | null = null;
  private project = '';
  private table: TableState | null = null;

  constructor(private readonly el: HTMLElement, private readonly env: TableEnv) {}

  /** Reads the first page for this project and table state. */
  async reset(project: string, table: TableState): Promise<void> {
    this.project = project;
    this.table = table;
    this.cursors = [];
    this.cursor = null;
    await this.read();
  }

  /** Redraws the boxes after runs were picked elsewhere. */
  refreshPicks(): void { if (this.page) this.render(this.page); }

  get rows(): readonly Run[] { return this.page?.runs ?? []; }

  /**
   * Rows of runs read again elsewhere (a live view's picked runs: their
   * details): status, last step, duration as they are now, without reading
   * the page again. A row's summary columns stay as the page read them.
   */
  updateRuns(runs: readonly Run[]): void {
    const page = this.page;
    const by = new Map(runs.map((r) => [r.id, r]));
    if (!page || !page.runs.some((r) => by.has(r.id))) return;
    this.page = {
      ...page,
      runs: page.runs.map((r) => {
        const d = by.get(r.id);
        return d ? { ...r, status: d.status, last_step: d.last_step, finished_ms: d.finished_ms, started_ms: d.started_ms } : r;
      }),
    };
    this.render(this.page);
  }

  private async read(): Promise<void> {
    const t = this.table;
    if (!t) return;
    this.abort?.abort();
    const abort = (this.abort = new AbortController());
    this.el.dataset['state'] = 'loading';
    this.status('Loading runs…');
    const summary = [...new Set([...t.summary, ...(t.sort.replace(/^-/, '').startsWith('summary.') ? [t.sort.replace(/^-?summary\./, '')] : [])])];
    try {
      const page = await this.env.api.runs(this.project, {
        q: t.q, tags: t.tags, status: t.status, config: t.config, sort: t.sort, summary,
        ...(this.cursor ? { cursor: this.cursor } : {}),
      }, abort.signal);
      if (abort.signal.aborted) return;
      this.page = page;
      this.render(page);
    } catch (err) {
      if (abort.signal.aborted) return;
      if (err instanceof ApiError && err.code === 'SS_ERR_PROJECT_NOT_FOUND') { this.page = { runs: [] }; this.render(this.page); return; }
      this.el.dataset['state'] = 'error';
      this.status(`Runs could not be read: ${(err as Error).message}`);
      this.env.onError(err);
    }
  }

  private status(text: string): void {
    const p = document.createElement('p');
    p.className = 'muted';
    p.textContent = text;
    this.el.replaceChildren(p);
  }

  private render(page: RunPage): void {
    const t = this.table!;
    const filtered = Boolean(t.q || t.tags.length || t.status || t.config.length);
    if (!page.runs.length && !this.cursors.length) {
      this.el.dataset['state'] = 'empty';
      this.status(filtered ? 'No run matches these filters.' : `No runs in project ${this.project} yet. Send some: npx stepstream demo --project ${this.project}`);
      return;
    }
    this.el.dataset['state'] = 'ready';
    const picked = new Set(this.env.picked());
    const table = document.createElement('table');
    table.className = 'runs';
    const head = table.createTHead().insertRow();
    const sortable: [string, string | null][] = [['', null], ['name', 'name'],
      ...t.columns.map((c): [string, null] => [c, null]), ...t.summary.map((m): [string, string] => [m, `summary.${m}`]),
      ['status', null], ['tags', null], ['start', 'started_ms'], ['duration', null], ['last step', 'last_step']];
    for (const [label, key] of sortable) {
      const th = document.createElement('th');
      th.textContent = label + (key && t.sort.replace(/^-/, '') === key ? (t.sort.startsWith('-') ? ' ▼' : ' ▲') : '');
      if (key) {
        th.className = 'sortable';
        th.dataset['sort'] = key;
        th.addEventListener('click', () => this.env.onSort(t.sort === key ? `-${key}` : key));
      }
      head.append(th);
    }
    const body = table.createTBody();
    const now = Date.now();
    for (const r of page.runs) {
      const tr = body.insertRow();
      tr.dataset['run'] = r.id;
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.checked = picked.has(r.id);
      box.title = 'chart this run';
      box.addEventListener('change', () => this.env.onPick([r.id], box.checked));
      const end = r.finished_ms ?? (r.status === 'running' ? now : null);
      const chosen = t.columns.length + t.summary.length;
      const cells: (string | Node)[] = [
        box, r.name ?? r.id,
        ...t.columns.map((c) => configText(r.config, c)),
        ...t.summary.map((m) => formatValue(num(r.summary?.[m]?.last ?? null))),
        r.status, (r.tags ?? []).join(', '), formatWhen(r.started_ms, now),
        r.started_ms !== null && end !== null ? formatDuration(end - r.started_ms) : '–',
        r.last_step === null ? '–' : formatStepExact(r.last_step),
      ];
      for (const c of cells) tr.insertCell().append(c);
      tr.cells[1]!.title = r.id;
      tr.cells[1]!.className = 'name';
      tr.cells[2 + chosen]!.className = `status ${r.status}`;
      tr.cells[3 + chosen]!.className = 'tags';
      tr.cells[3 + chosen]!.title = tr.cells[3 + chosen]!.textContent ?? '';
      tr.cells[4 + chosen]!.title = formatTime(r.started_ms);
    }
    this.el.replaceChildren(table, this.pager(page));
  }

  private pager(page: RunPage): HTMLElement {
    const nav = document.createElement('div');
    nav.className = 'pager';
    const first = this.cursors.length * PAGE_SIZE;
    const info = document.createElement('span');
    info.textContent = `runs ${first + 1}–${first + page.runs.length}`;
    const prev = document.createElement('button');
    prev.textContent = '‹ previous';
    prev.disabled = !this.cursors.length;
    prev.addEventListener('click', () => { this.cursor = this.cursors.pop() ?? null; void this.read(); });
    const next = document.createElement('button');
    next.textContent = 'next ›';
    next.className = 'next';
    next.disabled = !page.next_cursor;
    next.addEventListener('click', () => { this.cursors.push(this.cursor); this.cursor = page.next_cursor ?? null; void this.read(); });
    const all = document.createElement('button');
    all.textContent = 'chart every run on this page';
    all.addEventListener('click', () => { this.env.onPick(page.runs.map((r) => r.id), true); });
    nav.append(prev, info, next, all);
    return nav;
  }
}

/** A config value by dotted key, as text. */
export function configText(config: Record<string, unknown> | null, key: string): string {
  let v: unknown = config;
  for (const part of key.split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
  if (v === undefined) return '–';
  return typeof v === 'string' ? v : JSON.stringify(v);
}
