// The whole view as plain data, and its URL form: every control the page has
// is a field here, so a link reproduces the view. Defaults are left out of the
// URL. Pure: no DOM (tested in web/test/view-state.test.ts).
import { MAX_AVG_WINDOW, MAX_EMA_WEIGHT, type Smoothing } from './smoothing.js';

export type XAxis = 'step' | 'wall' | 'relative';

export interface TableState {
  q: string;
  tags: string[];
  status: string;
  /** `config.K=V` filters, as [K, V]. */
  config: [string, string][];
  /** `name`, `started_ms`, `last_step`, `summary.M`; `-` first for descending; '' for the server's order. */
  sort: string;
  /** Config keys shown as columns (dotted for nested ones). */
  columns: string[];
  /** Metrics whose summaries are shown as columns. */
  summary: string[];
}

export interface ViewState {
  project: string | null;
  /** Runs charted, in the order picked. */
  runs: string[];
  /** Metric filter: case-insensitive substring of the metric name. */
  metrics: string;
  /** Metric groups (name prefixes) folded away. */
  collapsed: string[];
  /** The step range shown, [from, to); null for each metric's whole range. */
  zoom: { from: number; to: number } | null;
  smoothing: Smoothing;
  logY: boolean;
  x: XAxis;
  table: TableState;
  /** Extra fields other parts of the page keep in the URL (panel kinds registered later): name -> value. */
  extra: Record<string, string>;
}

export function defaultView(): ViewState {
  return {
    project: null, runs: [], metrics: '', collapsed: [], zoom: null, smoothing: { kind: 'none' }, logY: false, x: 'step',
    table: { q: '', tags: [], status: '', config: [], sort: '', columns: [], summary: [] }, extra: {},
  };
}

/** Parameters this module owns; any other parameter is kept in `extra`. */
const OWN = new Set(['project', 'run', 'metrics', 'collapse', 'from', 'to', 'smoothing', 'logy', 'x', 'q', 'tag', 'status', 'cfg', 'sort', 'col', 'sum']);

export function parseView(search: string): ViewState {
  const p = new URLSearchParams(search);
  const v = defaultView();
  v.project = p.get('project') || null;
  v.runs = unique(p.getAll('run').filter(Boolean));
  v.metrics = p.get('metrics') ?? '';
  v.collapsed = unique(p.getAll('collapse'));
  const from = int(p.get('from')), to = int(p.get('to'));
  if (from !== null && to !== null && to > from && from >= 0) v.zoom = { from, to };
  v.smoothing = parseSmoothing(p.get('smoothing'));
  v.logY = p.get('logy') === '1';
  const x = p.get('x');
  if (x === 'wall' || x === 'relative') v.x = x;
  v.table = {
    q: p.get('q') ?? '', tags: unique(p.getAll('tag').filter(Boolean)), status: p.get('status') ?? '',
    config: p.getAll('cfg').map(splitKeyValue).filter((kv): kv is [string, string] => kv !== null),
    sort: p.get('sort') ?? '', columns: unique(p.getAll('col').filter(Boolean)), summary: unique(p.getAll('sum').filter(Boolean)),
  };
  for (const [k, val] of p) if (!OWN.has(k)) v.extra[k] = val;
  return v;
}

export function serializeView(v: ViewState): string {
  const p = new URLSearchParams();
  if (v.project) p.set('project', v.project);
  for (const r of v.runs) p.append('run', r);
  if (v.metrics) p.set('metrics', v.metrics);
  for (const c of v.collapsed) p.append('collapse', c);
  if (v.zoom) { p.set('from', String(v.zoom.from)); p.set('to', String(v.zoom.to)); }
  const s = formatSmoothing(v.smoothing);
  if (s) p.set('smoothing', s);
  if (v.logY) p.set('logy', '1');
  if (v.x !== 'step') p.set('x', v.x);
  const t = v.table;
  if (t.q) p.set('q', t.q);
  for (const tag of t.tags) p.append('tag', tag);
  if (t.status) p.set('status', t.status);
  for (const [k, val] of t.config) p.append('cfg', `${k}=${val}`);
  if (t.sort) p.set('sort', t.sort);
  for (const c of t.columns) p.append('col', c);
  for (const m of t.summary) p.append('sum', m);
  for (const [k, val] of Object.entries(v.extra)) if (!OWN.has(k)) p.set(k, val);
  const qs = p.toString();
  return qs ? `?${qs}` : '';
}

/** `ema:0.6`, `avg:20`, or '' for none. */
export function formatSmoothing(s: Smoothing): string {
  if (s.kind === 'ema') return `ema:${s.weight}`;
  if (s.kind === 'avg') return `avg:${s.window}`;
  return '';
}

export function parseSmoothing(text: string | null): Smoothing {
  const m = /^(ema|avg):([0-9.]+)$/.exec(text ?? '');
  if (!m) return { kind: 'none' };
  const n = Number(m[2]);
  if (!Number.isFinite(n)) return { kind: 'none' };
  if (m[1] === 'ema') return n > 0 && n <= MAX_EMA_WEIGHT ? { kind: 'ema', weight: n } : { kind: 'none' };
  return Number.isInteger(n) && n >= 1 && n <= MAX_AVG_WINDOW ? { kind: 'avg', window: n } : { kind: 'none' };
}

/** `K=V` -> [K, V] (V may hold `=`); null without a key. */
export function splitKeyValue(text: string): [string, string] | null {
  const i = text.indexOf('=');
  if (i <= 0) return null;
  return [text.slice(0, i), text.slice(i + 1)];
}

function int(s: string | null): number | null {
  if (s === null || !/^\d{1,16}$/.test(s)) return null;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : null;
}

function unique(xs: string[]): string[] { return [...new Set(xs)]; }
