// Live: while a picked run is running, every few seconds the charts on screen grow by what is new
// (each model's own tail read from its last bucket's start, merged in place: live-source.ts), with
// no full re-fetch and no redraw from scratch. The run details are read again each time (status,
// each metric's last step), so later full loads see the whole run, and their rows in the run table
// show them; a run's lineage is read again (a restart may have come). Off for a zoomed view (a fixed range) or with `live=0` in the URL.
import type { Api } from './api.js';
import type { LineageCache } from './lineage-decorator.js';
import { growModel } from './live-source.js';
import type { PanelGrid } from './panel-grid.js';
import type { Run, RunDetail } from './types.js';
import type { ViewStore } from './view-store.js';

export const LIVE_EVERY_MS = 3000;

export interface LiveEnv {
  api: Api;
  store: ViewStore;
  grid: PanelGrid;
  /** The page's run details (main.ts), updated in place. */
  details: Map<string, unknown>;
  lineage: LineageCache;
  /** Lays the panels out again (a running run may log a metric it had not). */
  relayout(): void;
  /** The run table's rows of these runs shown as they are now (status, last step, duration). */
  updateRows(runs: readonly Run[]): void;
}

export function startLive(env: LiveEnv): void {
  const el = document.createElement('span');
  el.id = 'live';
  el.className = 'muted';
  el.dataset['state'] = 'off';
  document.querySelector('.toolbar')?.append(el);
  let wasRunning = new Set<string>();
  let busy = false;
  setInterval(() => {
    if (busy) return;
    busy = true;
    void tick().finally(() => { busy = false; });
  }, LIVE_EVERY_MS);

  async function tick(): Promise<void> {
    const v = env.store.get();
    const watched = v.runs.filter((id) => wasRunning.has(id) || (env.details.get(id) as RunDetail | undefined)?.status === 'running');
    if (!v.project || !watched.length || v.zoom || v.extra['live'] === '0') { show(v.zoom && watched.length ? 'paused while zoomed' : '', 'off'); return; }
    const fresh = await Promise.all(watched.map((id) => env.api.run(v.project!, id).catch(() => null)));
    if (env.store.get() !== v) return;
    let metricsBefore = 0, metricsAfter = 0;
    fresh.forEach((d, i) => {
      if (!d) return;
      metricsBefore += (env.details.get(watched[i]!) as RunDetail | undefined)?.metrics.length ?? 0;
      metricsAfter += d.metrics.length;
      env.details.set(watched[i]!, d);
      env.lineage.forget(v.project!, watched[i]!);
    });
    wasRunning = new Set(fresh.filter((d) => d?.status === 'running').map((d) => d!.id));
    env.updateRows(fresh.filter((d): d is RunDetail => d !== null));
    if (metricsAfter !== metricsBefore) env.relayout();
    await env.grid.extendVisible(growModel);
    const steps = fresh.map((d) => d?.last_step ?? 0);
    show(wasRunning.size ? `live: step ${Math.max(...steps).toLocaleString('en-US')}, every ${LIVE_EVERY_MS / 1000} s` : 'live: finished', wasRunning.size ? 'on' : 'done');
  }

  function show(text: string, state: string): void {
    el.textContent = text;
    el.dataset['state'] = state;
  }
}
