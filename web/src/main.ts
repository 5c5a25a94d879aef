// The page: wires the view (URL), the API client, the banner, the project
// picker, the run table and the panels. What changed in the view decides
// what is read again: the project -> everything; the table's filters -> the
// table; the runs -> their details and the panels; zoom, smoothing, axes ->
// the panels on screen. window.__stepstream exposes it all to tests and extensions.
import { Api, ApiError } from './api.js';
import { Banner } from './banner.js';
import { storedKey } from './stored-key.js';
import { colorOf } from './chart-model.js';
import { lineageCache, registerExtensions } from './extensions.js';
import { startLive } from './live.js';
import { wireControls } from './controls.js';
import { PanelGrid } from './panel-grid.js';
import { afterCharts, SECOND_WAIT_MS } from './panel.js';
import { Registry, type ChartRun } from './registry.js';
import { RunTable } from './run-table.js';
import { SeriesSource } from './series-source.js';
import type { RunDetail } from './types.js';
import type { ViewState } from './view-state.js';
import { ViewStore } from './view-store.js';

const $ = (id: string) => document.getElementById(id)!;
const store = new ViewStore();
const registry = new Registry();
registry.registerSource(new SeriesSource());
registerExtensions(registry, store);
let sessionKey: string | null = null;
const banner = new Banner($('banner'), (key) => { sessionKey = key || null; void loadProject(store.get()); });
const api = new Api({ key: () => sessionKey ?? storedKey(), onStatus: (s) => banner.connection(s) });
/** Run details of the current project: the detail, or the error that says why there is none. */
const details = new Map<string, RunDetail | ApiError>();

function onError(err: unknown): void {
  if (err instanceof ApiError && (err.status === 401 || err.status === 403)) banner.askKey(err.message);
}

function chartRuns(v: ViewState, metric: string | null): ChartRun[] {
  return v.runs.map((id, i) => {
    const d = details.get(id);
    const detail = d && !(d instanceof ApiError) ? d : null;
    return {
      id, label: detail?.name ?? id, color: colorOf(i), startMs: detail?.started_ms ?? null, detail,
      metric: metric === null ? null : detail?.metrics.find((m) => m.name === metric) ?? null,
    };
  });
}

const grid = new PanelGrid($('panels'), {
  registry,
  context: (metric) => {
    const v = store.get();
    return v.project ? { api, project: v.project, metric, runs: chartRuns(v, metric), view: v } : null;
  },
  onZoom: (from, to) => store.update((v) => { v.zoom = { from, to }; }, true),
  onReset: () => store.update((v) => { v.zoom = null; }, true),
  logY: () => store.get().logY,
  onToggleGroup: (g, collapsed) => store.update((v) => {
    v.collapsed = collapsed ? [...new Set([...v.collapsed, g])] : v.collapsed.filter((c) => c !== g);
  }),
});

const table = new RunTable($('runs'), {
  api,
  picked: () => store.get().runs,
  onPick: (ids, on) => store.update((v) => { v.runs = on ? [...new Set([...v.runs, ...ids])] : v.runs.filter((r) => !ids.includes(r)); }),
  onSort: (sort) => store.update((v) => { v.table.sort = sort; }),
  onError,
});

const sectionsEl = $('sections');
for (const s of registry.sections) { const el = document.createElement('div'); sectionsEl.append(el); s.mount(el, api); }

const NO_PROJECTS = 'No projects yet: send a run (npx stepstream demo) and reload.';

async function loadProject(v: ViewState): Promise<void> {
  details.clear();
  grid.clear();
  // The picked runs' charts need their details only (asked for before this script ran: index.html), not the project list.
  const charts = v.project ? fetchDetails(v.project, v.runs).then(() => loadRuns(v)) : Promise.resolve();
  const picker = $('project') as HTMLSelectElement;
  try {
    const { projects } = await api.projects();
    picker.replaceChildren(...projects.map((p) => new Option(`${p.name} (${p.runs} runs)`, p.name)));
    // NOTE: a project named in the URL is shown even when the store has none yet (its table says it is empty).
    if (!projects.length && !v.project) {
      $('project-info').textContent = NO_PROJECTS;
      $('runs').dataset['state'] = 'empty';
      return;
    }
    if (!v.project || !projects.some((p) => p.name === v.project)) {
      if (v.project) picker.append(new Option(`${v.project} (no runs)`, v.project));
      else { store.update((d) => { d.project = projects[0]!.name; }); return; }
    }
    picker.value = v.project;
    $('project-info').textContent = projects.length ? '' : NO_PROJECTS;
  } catch (err) {
    onError(err);
    $('project-info').textContent = `Projects could not be read: ${(err as Error).message}`;
    if (!v.project) return;
  }
  // NOTE: with runs picked the charts come first: the run table is read once
  // the charts on screen are drawn (or after SECOND_WAIT_MS), so that its
  // reads do not take the charts' place in the store's line for the project.
  const project = v.project;
  const tableRead = (v.runs.length ? afterCharts(SECOND_WAIT_MS) : Promise.resolve())
    .then(() => (store.get().project === project ? table.reset(project, store.get().table) : undefined));
  await Promise.all([tableRead, charts]);
}


/** Reads the details of the runs not read yet. */
async function fetchDetails(project: string, ids: readonly string[]): Promise<void> {
  // The charts' restart marks need each run's lineage too: asked for beside its detail, not after it.
  for (const id of ids) void lineageCache.get(api, project, id);
  await Promise.all(ids.filter((id) => !details.has(id)).map(async (id) => {
    try { details.set(id, await api.run(project, id)); } catch (err) { onError(err); if (err instanceof ApiError) details.set(id, err); }
  }));
}

/** Reads the details of picked runs not read yet, then lays the panels out again. */
async function loadRuns(v: ViewState): Promise<void> {
  const project = v.project;
  if (!project) return;
  await fetchDetails(project, v.runs);
  if (store.get().project !== project) return;
  renderPicked(store.get());
  layoutPanels(store.get());
  for (const s of registry.sections) s.update(store.get(), chartRuns(store.get(), null));
}

function renderPicked(v: ViewState): void {
  const chips = chartRuns(v, null).map((r) => {
    const c = document.createElement('span');
    const d = details.get(r.id);
    c.className = d instanceof ApiError ? 'chip missing' : 'chip';
    c.style.background = r.color;
    c.dataset['run'] = r.id;
    c.textContent = r.label;
    c.title = d instanceof ApiError ? d.message : r.id;
    return c;
  });
  $('picked').replaceChildren(...chips);
  const missing = v.runs.filter((id) => details.get(id) instanceof ApiError);
  const notice = $('notice');
  notice.hidden = v.runs.length > 0 && !missing.length;
  notice.dataset['kind'] = missing.length ? 'unknown-run' : 'no-runs';
  notice.textContent = missing.length
    ? `Unknown run${missing.length > 1 ? 's' : ''} in project ${v.project}: ${missing.join(', ')} (${(details.get(missing[0]!) as ApiError).message})`
    : 'Pick runs in the table to chart them.';
}

function layoutPanels(v: ViewState): void {
  const names = new Set<string>();
  for (const id of v.runs) { const d = details.get(id); if (d && !(d instanceof ApiError)) for (const m of d.metrics) names.add(m.name); }
  grid.show([...names], v.metrics, v.collapsed);
}

const setControls = wireControls(store);
($('project') as HTMLSelectElement).addEventListener('change', (e) => {
  const project = (e.target as HTMLSelectElement).value;
  store.update((v) => { v.project = project; v.runs = []; v.zoom = null; }, true);
});

store.subscribe((v, prev) => {
  setControls(v);
  for (const s of registry.sections) s.update(v, chartRuns(v, null));
  if (v.project !== prev.project) { void loadProject(v); return; }
  if (JSON.stringify(v.table) !== JSON.stringify(prev.table)) void table.reset(v.project!, v.table);
  if (v.runs.join('\0') !== prev.runs.join('\0')) { table.refreshPicks(); void loadRuns(v).then(() => grid.invalidate()); return; }
  if (v.metrics !== prev.metrics || v.collapsed.join('\0') !== prev.collapsed.join('\0')) layoutPanels(v);
  // `extra` holds the extensions' fields (rank, superseded, ...): they change what panels draw too.
  if (JSON.stringify([v.zoom, v.smoothing, v.logY, v.x, v.extra]) !== JSON.stringify([prev.zoom, prev.smoothing, prev.logY, prev.x, prev.extra])) grid.invalidate();
});

// For tests and extensions (docs/dashboard.md): the parts, and what each panel drew.
const hook = {
  store, registry, api, grid, table,
  panels: () => [...grid.panels.values()].map((p) => ({ metric: p.metric, state: p.el.dataset['state'], loads: p.loads, model: p.model, yRange: p.yRange })),
};
(window as unknown as { __stepstream: typeof hook }).__stepstream = hook;
setControls(store.get());
startLive({ api, store, grid, details, lineage: lineageCache, relayout: () => layoutPanels(store.get()), updateRows: (runs) => table.updateRuns(runs) });
void loadProject(store.get());
