// The controls above the panels and the run table's filters: each writes its
// field of the view (and so the URL); set() puts the view's values back in them.
import { parseSmoothing, splitKeyValue, type ViewState } from './view-state.js';
import type { ViewStore } from './view-store.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const list = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);

export function wireControls(store: ViewStore): (v: ViewState) => void {
  const metricFilter = $<HTMLInputElement>('metric-filter');
  const smoothKind = $<HTMLSelectElement>('smooth-kind');
  const smoothValue = $<HTMLInputElement>('smooth-value');
  const logY = $<HTMLInputElement>('log-y');
  const xAxis = $<HTMLSelectElement>('x-axis');
  const resetZoom = $<HTMLButtonElement>('reset-zoom');
  const zoomInfo = $<HTMLSpanElement>('zoom-info');
  const q = $<HTMLInputElement>('run-filter');
  const tags = $<HTMLInputElement>('tag-filter');
  const status = $<HTMLSelectElement>('status-filter');
  const config = $<HTMLInputElement>('config-filter');
  const columns = $<HTMLInputElement>('config-columns');
  const summary = $<HTMLInputElement>('summary-columns');
  const clear = $<HTMLButtonElement>('clear-runs');

  metricFilter.addEventListener('input', () => store.update((v) => { v.metrics = metricFilter.value; }));
  const smoothing = () => {
    const kind = smoothKind.value;
    if (kind === 'ema' && !(Number(smoothValue.value) > 0 && Number(smoothValue.value) < 1)) smoothValue.value = '0.6';
    if (kind === 'avg' && !(Number(smoothValue.value) >= 1)) smoothValue.value = '20';
    smoothValue.hidden = kind === 'none';
    store.update((v) => { v.smoothing = parseSmoothing(`${kind}:${smoothValue.value}`); });
  };
  smoothKind.addEventListener('change', smoothing);
  smoothValue.addEventListener('change', smoothing);
  logY.addEventListener('change', () => store.update((v) => { v.logY = logY.checked; }));
  xAxis.addEventListener('change', () => store.update((v) => { v.x = xAxis.value as ViewState['x']; }));
  resetZoom.addEventListener('click', () => store.update((v) => { v.zoom = null; }, true));
  clear.addEventListener('click', () => store.update((v) => { v.runs = []; v.zoom = null; }));
  const table = () => store.update((v) => {
    v.table = {
      ...v.table, q: q.value.trim(), tags: list(tags.value), status: status.value,
      config: list(config.value).map(splitKeyValue).filter((kv): kv is [string, string] => kv !== null),
      columns: list(columns.value), summary: list(summary.value),
    };
  });
  for (const el of [q, tags, config, columns, summary]) el.addEventListener('change', table);
  status.addEventListener('change', table);

  return (v) => {
    if (document.activeElement !== metricFilter) metricFilter.value = v.metrics;
    smoothKind.value = v.smoothing.kind;
    smoothValue.hidden = v.smoothing.kind === 'none';
    if (v.smoothing.kind === 'ema') smoothValue.value = String(v.smoothing.weight);
    if (v.smoothing.kind === 'avg') smoothValue.value = String(v.smoothing.window);
    logY.checked = v.logY;
    xAxis.value = v.x;
    resetZoom.disabled = !v.zoom;
    zoomInfo.textContent = v.zoom ? `steps ${v.zoom.from.toLocaleString('en-US')}–${v.zoom.to.toLocaleString('en-US')}` : '';
    q.value = v.table.q;
    tags.value = v.table.tags.join(', ');
    status.value = v.table.status;
    config.value = v.table.config.map(([k, val]) => `${k}=${val}`).join(', ');
    columns.value = v.table.columns.join(', ');
    summary.value = v.table.summary.join(', ');
  };
}
