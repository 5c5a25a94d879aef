// The dashboard's per-rank and lineage views in a real browser (issue 13, items 6 and 7), on a run
// the demo generator sent with 4 ranks (rank 2 a straggler from 55% of the steps), 2 restarts (the
// second rolling back past the first) and a fork at half the steps: the band across ranks names the
// rank holding each bucket's min and max, the rank picker and the lists pick a rank, the heatmap has
// a row per rank; restart and fork boundaries are marked where the lineage says, and the toggle
// draws the superseded points, read by attempt.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { straggler } from '../services/cli/src/demo-metrics.js';
import { drawnPanel, launchBrowser, newPage, screenshot, SKIP_BROWSER } from './support/browser.js';
import { sendRestartedRun, type RestartedRun } from './support/dashboard-lineage-data.js';
import { getJson, startInProcess, type Started } from './support/stepstream.js';
import { waitFor } from './support/wait.js';

const PROJECT = 'lineage-ranks';
const STEP_TIME = 'system/step_time_ms';

/** The marks a panel's chart draws (restarts, forks): ChartModel.verticals. */
const verticals = (p: { model: unknown }) => (p.model as { verticals: { x: number; label: string }[] }).verticals;

interface Lineage { segments: { run: string; attempt: number; from: number; to: number | null }[]; attempts: { attempt: number; first_step: number; last_step: number }[] }

describe.skipIf(SKIP_BROWSER)('dashboard: ranks and lineage', () => {
  let ss: Started;
  let browser: Browser;
  let data: RestartedRun;

  beforeAll(async () => {
    ss = await startInProcess();
    browser = await launchBrowser();
    data = await sendRestartedRun(ss.url, PROJECT);
  }, 120_000);
  afterAll(async () => { await browser?.close(); await ss?.stop(); });

  const open = async (query: string) => {
    const page = await newPage(browser);
    await page.goto(`${ss.url}/?project=${PROJECT}&${query}`);
    return page;
  };
  const ready = async (page: Awaited<ReturnType<typeof open>>, metric: string, check: (p: NonNullable<Awaited<ReturnType<typeof drawnPanel>>>) => boolean = () => true) =>
    waitFor(`${metric} drawn`, async () => { const p = await drawnPanel(page, metric); return p?.state === 'ready' && p.model && check(p) ? p : undefined; })
      .catch(async (e) => { await screenshot(page, `failed-${metric.replace(/\//g, '-')}`); console.log('not drawn:', page.url(), page.errors, JSON.stringify(await page.evaluate(() => (globalThis as any).__stepstream.panels().map((x: any) => [x.metric, x.state, x.model?.layers.map((l: any) => l.label)])))); throw e; });

  it('draws the band across ranks with the min and max rank named, the heatmap and lists; a rank picked from the stragglers list', async () => {
    const slow = straggler(data.ranks, data.steps);
    const page = await open(`run=${data.run}&metrics=${STEP_TIME}`);
    try {
      const p = await ready(page, STEP_TIME);
      const layer = p.model!.layers[0]! as NonNullable<typeof p.model>['layers'][number] & { bandRanks: { min: (number | null)[]; max: (number | null)[] } };
      expect(layer.label).toContain(`${data.ranks} ranks (band)`);
      // The page draws what /ranks/series answers, bucket for bucket, with the ranks holding min and max.
      const band = (await getJson(`${ss.url}/v1/projects/${PROJECT}/runs/${data.run}/ranks/series?metric=${STEP_TIME}&from=0&to=${data.steps}&points=${p.model!.x.length > 0 ? Math.ceil(data.steps / p.model!.bucket) : 1}`)).body;
      expect(band.bucket).toBe(p.model!.bucket);
      expect(p.model!.x).toEqual(band.x);
      expect(layer.band!.max).toEqual(band.max);
      expect(layer.bandRanks.max).toEqual(band.max_rank);
      // The straggler holds the max of every bucket wholly past the step it turned slow at.
      p.model!.x.forEach((x, i) => { if (x >= slow.from) expect(layer.bandRanks.max[i]).toBe(slow.rank); });
      expect(await page.textContent(`.panel[data-metric="${STEP_TIME}"] .panel-info`)).toContain(`max most often rank ${slow.rank}`);

      // The ranks section: a heatmap row per rank, the straggler first in both lists.
      await page.waitForSelector('.ranks-section canvas.heatmap');
      expect(await page.getAttribute('.ranks-section canvas.heatmap', 'data-rows')).toBe(String(data.ranks));
      // A few ranks get rows tall enough for a label each (a line of text), not 6 px strips under overlapping labels.
      expect(Number(await page.getAttribute('.ranks-section canvas.heatmap', 'data-row-px'))).toBeGreaterThanOrEqual(data.ranks <= 13 ? 12 : 6);
      expect(await page.getAttribute('.rank-top li:first-child', 'data-rank')).toBe(String(slow.rank));
      expect(await page.getAttribute('.rank-stragglers li:first-child', 'data-rank')).toBe(String(slow.rank));
      await screenshot(page, 'dashboard-ranks-band');

      // Picking the straggler: the URL says so, the picker shows it, the chart is that rank's series.
      await page.click('.rank-stragglers li:first-child a');
      await waitFor('rank in URL', async () => (new URL(page.url()).searchParams.get('rank') === String(slow.rank) ? true : undefined));
      expect(await page.inputValue('#rank-pick')).toBe(String(slow.rank));
      const one = await ready(page, STEP_TIME, (x) => x.model!.layers[0]!.label.includes(`rank ${slow.rank}`));
      const own = (await getJson(`${ss.url}/v1/projects/${PROJECT}/runs/${data.run}/series?metric=${STEP_TIME}&rank=${slow.rank}&from=0&to=${data.steps}&points=${Math.ceil(data.steps / one.model!.bucket)}`)).body;
      expect(one.model!.layers[0]!.band!.max).toEqual(own.max);
      await screenshot(page, 'dashboard-ranks-picked');
      expect(page.errors).toEqual([]);
    } finally { await page.close(); }

    // By wall time the band stays: each bucket at the time of rank 0's same bucket.
    const timed = await open(`run=${data.run}&metrics=${STEP_TIME}&x=wall`);
    try {
      const w = await ready(timed, STEP_TIME, (x) => x.model!.xAxis === 'wall');
      const q = { queries: [{ run: data.run, metric: STEP_TIME, rank: 0 }], from: 0, to: data.steps, points: Math.ceil(data.steps / w.model!.bucket), x: 'time' };
      const res = await fetch(`${ss.url}/v1/projects/${PROJECT}/series`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(q) });
      const rank0 = (await res.json() as { series: [{ x: number[]; time_first: number[] }] }).series[0];
      const band = (await getJson(`${ss.url}/v1/projects/${PROJECT}/runs/${data.run}/ranks/series?metric=${STEP_TIME}&from=0&to=${data.steps}&points=${q.points}`)).body;
      expect(w.model!.x).toEqual([...new Set(band.x.map((x: number) => rank0.time_first[rank0.x.indexOf(x)]))].sort((a, b) => (a as number) - (b as number)));
      expect(w.model!.layers[0]!.band!.max.filter((v) => v !== null).length).toBe(w.model!.x.length);
      await screenshot(timed, 'dashboard-ranks-wall-time');
      expect(timed.errors).toEqual([]);
    } finally { await timed.close(); }
  });

  it('marks restarts where the lineage says, shows a fork with its parent part, and draws superseded attempts on request', async () => {
    const lineage = (await getJson<Lineage>(`${ss.url}/v1/projects/${PROJECT}/runs/${data.run}/lineage`)).body;
    const restarts = lineage.segments.slice(1).map((s) => ({ x: s.from, label: `restart: attempt ${s.attempt}` }));
    expect(restarts.length).toBeGreaterThan(0);
    const page = await open(`run=${data.run}&metrics=train/lr`);
    try {
      const p = await ready(page, 'train/lr');
      expect(verticals(p).map((v) => ({ x: v.x, label: v.label }))).toEqual(restarts);
      await page.check('#show-superseded');
      await waitFor('superseded in URL', async () => (new URL(page.url()).searchParams.get('superseded') === '1' ? true : undefined));
      const s = await ready(page, 'train/lr', (x) => x.model!.layers.length > 1);
      // Attempt 1 (superseded whole by the rollback) and attempt 0's crash tail, where they were superseded only.
      const owned = (a: number, step: number) => lineage.segments.some((g) => g.run === data.run && g.attempt === a && g.from <= step && (g.to === null || step < g.to));
      for (const a of [0, 1]) {
        const l = s.model!.layers.find((x) => x.key === `${data.run}/attempt-${a}`)!;
        expect(l.label).toContain(`attempt ${a}`);
        const drawnSteps = s.model!.x.filter((_, i) => l.line[i] !== null);
        expect(drawnSteps.length).toBeGreaterThan(0);
        // Each drawn bucket holds a step the attempt does not own (a bucket may straddle where it took over again).
        const b = s.model!.bucket;
        for (const step of drawnSteps) expect(owned(a, step) && owned(a, step + b - 1), `bucket at ${step}`).toBe(false);
      }
      expect(await page.textContent('.lineage-section')).toContain('attempt 1 superseded whole');
      await screenshot(page, 'dashboard-lineage-superseded');
    } finally { await page.close(); }

    const fork = await open(`run=${data.fork}&metrics=train/lr`);
    try {
      const f = await ready(fork, 'train/lr');
      const forkStep = data.steps / 2;
      expect(verticals(f)).toContainEqual(expect.objectContaining({ x: forkStep, label: `fork of ${data.run} at ${forkStep.toLocaleString('en-US')}` }));
      // The parent part is drawn: the fork's chart starts at step 0, with the parent's restarts marked below the fork step.
      expect(f.model!.x[0]).toBe(0);
      const inherited = verticals(f).filter((v) => v.x < forkStep);
      expect(inherited.length).toBeGreaterThan(0);
      for (const v of inherited) expect(v.label).toMatch(new RegExp(`^restart: attempt \\d+ \\(of ${data.run}\\)$`));
      expect(await fork.textContent('.panel[data-metric="train/lr"] .panel-info')).toContain(`are its parent ${data.run}'s`);
      await screenshot(fork, 'dashboard-lineage-fork');
      expect(fork.errors).toEqual([]);
    } finally { await fork.close(); }

    // Both charted: the parent's restarts below the fork step are marked once, by the parent.
    const both = await open(`run=${data.run}&run=${data.fork}&metrics=train/lr`);
    try {
      const b = await ready(both, 'train/lr');
      const below = verticals(b).filter((v) => v.x < data.steps / 2);
      expect(below.length).toBeGreaterThan(0);
      expect(new Set(below.map((v) => v.x)).size).toBe(below.length);
      for (const v of below) expect(v.label).not.toContain('(of ');
    } finally { await both.close(); }
  });
});
