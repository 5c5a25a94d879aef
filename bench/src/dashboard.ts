// dashboard: the dashboard's speed in a real browser (issue 13), against an all-in-one loaded by
// the demo generator (dashboard-data.ts), measured by the page's own timeline (dashboard-page.ts):
// - the first chart of a run with 50 per-rank metric panels drawn, from navigation start (< 1 s);
// - a zoom (a drag over a chart): mouse up to the chart drawn again at finer buckets (< 200 ms);
// - the run table of a project of 10,000 runs scrolled: frame intervals (smooth: p95 < 25 ms,
//   that is at most one frame in twenty missing 60 Hz).
//   node bench/dist/dashboard.js [--full]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DASHBOARD_SHAPES, MANY_PROJECT, RUN_PROJECT, loadDashboardData, type DashboardData, type DashboardShape } from './dashboard-data.js';
import { launchChromium, measureFirstChart, measureScroll, measureZoom, type FirstChart, type ScrollFigures, type ZoomFigures } from './dashboard-page.js';
import { startStepstream } from './procs.js';
import { printTable, writeResult, type Figure } from './report.js';

const TARGET = { firstChartMs: 1000, zoomMs: 200, frameP95Ms: 25 };

export interface DashboardResult {
  workload: string;
  shape: DashboardShape;
  data: DashboardData;
  first: FirstChart | null;
  zoom: ZoomFigures | null;
  scroll: ScrollFigures | null;
  /** The figures that could not be measured, and why. */
  failures: string[];
  peakRssMb: number;
}

export async function benchDashboard(opts: { quick: boolean }): Promise<DashboardResult> {
  const shape = DASHBOARD_SHAPES[opts.quick ? 'quick' : 'full'];
  const dir = mkdtempSync(join(tmpdir(), 'ss-bench-dash-'));
  const server = await startStepstream(['--data', dir]);
  try {
    const data = await loadDashboardData(server.url, shape);
    const browser = await launchChromium();
    try {
      const runUrl = `${server.url}/?project=${RUN_PROJECT}&run=${data.runId}`;
      // NOTE: each figure on its own: one that cannot be measured is reported as such, the others still are.
      const failures: string[] = [];
      const attempt = async <T>(name: string, f: () => Promise<T>): Promise<T | null> => {
        try { return await f(); } catch (err) { failures.push(`${name}: ${(err as Error).message.split('\n')[0]}`); return null; }
      };
      const first = await attempt('first chart', () => measureFirstChart(browser, runUrl, opts.quick ? 5 : 10));
      const zoom = await attempt('zoom', () => measureZoom(browser, runUrl, opts.quick ? 5 : 10));
      const scroll = await attempt('scroll', () => measureScroll(browser, `${server.url}/?project=${MANY_PROJECT}`, opts.quick ? 4 : 10));
      const n = (x: number) => x.toLocaleString('en-US');
      const workload = `all-in-one loaded by stepstream demo: 1 run of ${shape.ranks} ranks × ${shape.metrics} metrics × ${n(shape.steps)} steps, `
        + `${shape.restarts} restarts and a fork (${n(data.points)} points with the fork); a project of ${n(shape.manyRuns)} runs; chromium headless, 1400×1000`;
      return { workload, shape, data, first, zoom, scroll, failures, peakRssMb: server.peakRssMb() };
    } finally {
      await browser.close();
    }
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function reportDashboard(r: DashboardResult): Figure[] {
  const nan = { p50: NaN, p99: NaN, mean: NaN, n: 0, bytes: 0 };
  const first = r.first ?? { firstChart: nan, domContentLoaded: nan, panels: 0, apiCallsBefore: NaN, apiEndMs: nan, firstMs: [] };
  const zoom = r.zoom ?? { dragged: nan, allOnScreen: nan, buckets: [] };
  const scroll = r.scroll ?? { frames: { p50: NaN, p95: NaN, p99: NaN, max: NaN, n: 0 }, late: NaN, rows: 0, seconds: 0 };
  const rows: Figure[] = [
    { figure: `first chart drawn after navigation start, ${first.panels} panels: p99`, value: first.firstChart.p99, unit: 'ms', target: `< ${TARGET.firstChartMs}`, met: first.firstChart.p99 < TARGET.firstChartMs,
      note: `p50 ${first.firstChart.p50.toFixed(0)}; loads ${first.firstChart.n}, the first cold: ${first.firstMs.map((t) => t.toFixed(0)).join(', ')} ms` },
    { figure: 'first chart: p50', value: first.firstChart.p50, unit: 'ms' },
    { figure: 'DOMContentLoaded p50', value: first.domContentLoaded.p50, unit: 'ms' },
    { figure: `API calls before the first chart (the last done at p50 ${first.apiEndMs.p50.toFixed(0)} ms)`, value: first.apiCallsBefore, unit: 'requests' },
    { figure: 'zoom: mouse up to the dragged chart drawn again: p99', value: zoom.dragged.p99, unit: 'ms', target: `< ${TARGET.zoomMs}`, met: zoom.dragged.p99 < TARGET.zoomMs,
      note: `p50 ${zoom.dragged.p50.toFixed(0)}; n ${zoom.dragged.n}; buckets ${zoom.buckets.map((b) => `${b.before}→${b.after}`).join(', ')}` },
    { figure: 'zoom: mouse up to every chart on screen drawn again: p50', value: zoom.allOnScreen.p50, unit: 'ms' },
    { figure: 'zoom: every chart on screen: p99', value: zoom.allOnScreen.p99, unit: 'ms' },
    { figure: `run table of ${r.shape.manyRuns.toLocaleString('en-US')} runs scrolled: frame interval p95`, value: scroll.frames.p95, unit: 'ms', target: `< ${TARGET.frameP95Ms}`, met: scroll.frames.p95 < TARGET.frameP95Ms,
      note: `p50 ${scroll.frames.p50.toFixed(1)}, p99 ${scroll.frames.p99.toFixed(1)}, longest ${scroll.frames.max.toFixed(0)}; ${scroll.frames.n} frames in ${scroll.seconds} s; ${(scroll.late * 100).toFixed(1)}% late; ${scroll.rows} rows in the table` },
    { figure: 'scroll: frames longer than 25 ms', value: scroll.late * 100, unit: '%' },
    { figure: 'peak RSS of the server', value: r.peakRssMb, unit: 'MB' },
  ];
  const figures = printTable(`dashboard: in chromium (${r.workload})`, rows, r.workload);
  for (const f of rows) if (f.note) process.stdout.write(`  ${f.figure}: ${f.note}\n`);
  for (const why of r.failures) process.stdout.write(`  NOT measured: ${why}\n`);
  return figures;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await benchDashboard({ quick: !process.argv.includes('--full') });
  reportDashboard(r);
  writeResult('dashboard', r);
}
