// The dashboard's charts in a real browser (issue 13, items 2-5 and 9): panels grouped by
// prefix, collapsible, filtered, loaded only on screen; the min-max band reaching a one-step
// spike inside a bucket of more than 10,000 steps; NaN/±Inf marked where they are; runs overlaid
// with a legend; cursors and zoom synced; drag zoom down to raw points, double-click reset;
// smoothing the same when zoomed (checked against TensorBoard's EMA over the raw points read
// back); log y, x by time; and the view restored from its URL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { drawnPanel, drawnPanels, launchBrowser, newPage, screenshot, SKIP_BROWSER } from './support/browser.js';
import { NONFINITE, SPIKE_STEP, SPIKE_VALUE, SYSTEM_METRICS, sendDemo, sendSpikyRun, waitCounts } from './support/dashboard-data.js';
import { getJson, startInProcess, type Started } from './support/stepstream.js';
import { waitFor } from './support/wait.js';

const PROJECT = 'charts';

describe.skipIf(SKIP_BROWSER)('dashboard charts', () => {
  let ss: Started;
  let browser: Browser;
  let demo: string[];

  beforeAll(async () => {
    ss = await startInProcess();
    browser = await launchBrowser();
    await sendSpikyRun(ss.url, PROJECT);
    demo = (await sendDemo(ss.url, PROJECT)).filter((r) => r !== 'spiky');
    await waitCounts(ss.url, PROJECT, { spiky: { 'train/loss': 10_000, 'system/m39': 100 }, [demo[0]!]: { 'train/loss': 4000, 'train/lr': 2000 }, [demo[1]!]: { 'train/loss': 4000, 'train/lr': 2000 } });
  }, 120_000);
  afterAll(async () => { await browser?.close(); await ss?.stop(); });

  const open = async (query: string) => {
    const page = await newPage(browser);
    await page.goto(`${ss.url}/${query}`);
    return page;
  };
  const ready = (page: Awaited<ReturnType<typeof open>>, metric: string) =>
    page.waitForSelector(`.panel[data-metric="${metric}"][data-state="ready"]`, { timeout: 15_000 });

  it('groups panels by prefix, loads only those on screen, collapses and filters; the band reaches the spike', async () => {
    const page = await open(`?project=${PROJECT}&run=spiky`);
    try {
      await ready(page, 'train/loss');
      expect(await page.$$eval('details.group', (els) => els.map((e) => e.getAttribute('data-group')))).toEqual(['train', 'eval', 'system']);
      const panels = await drawnPanels(page);
      expect(panels).toHaveLength(SYSTEM_METRICS + 3);
      // Only panels on screen (and a margin) have loaded.
      const loaded = panels.filter((p) => p.loads > 0).length;
      expect(loaded).toBeGreaterThan(0);
      expect(loaded).toBeLessThan(SYSTEM_METRICS);

      const loss = (await drawnPanel(page, 'train/loss'))!;
      const m = loss.model!;
      expect(m.bucket).toBeGreaterThanOrEqual(10_000);
      const i = m.steps.findIndex((s) => s <= SPIKE_STEP && SPIKE_STEP < s + m.bucket);
      expect(m.layers[0]!.band!.max[i]).toBe(SPIKE_VALUE);
      expect(m.layers[0]!.mean[i]).toBeLessThan(SPIKE_VALUE / 5); // the mean alone would hide it
      expect(loss.yRange![1]).toBeGreaterThanOrEqual(SPIKE_VALUE);
      await screenshot(page, 'dashboard-spike');

      // Folding `system` writes the URL; filtering keeps only the matching panels.
      await page.click('details[data-group="system"] > summary');
      await waitFor('collapse in the URL', async () => (page.url().includes('collapse=system') ? true : undefined));
      await page.fill('#metric-filter', 'nonfinite');
      await waitFor('filtered', async () => ((await drawnPanels(page)).length === 1 ? true : undefined));
      expect(new URL(page.url()).searchParams.get('metrics')).toBe('nonfinite');

      // NaN, +Inf and -Inf are marked at their steps (raw points: 200 steps).
      await ready(page, 'train/nonfinite');
      const nf = (await drawnPanel(page, 'train/nonfinite'))!.model!;
      expect(nf.bucket).toBe(1);
      const marks = nf.layers[0]!.nonfinite!.map((n) => [nf.x[n.index], n.kinds.join('/')]);
      expect(marks).toEqual([...NONFINITE].map(([s, v]) => [s, Number.isNaN(v) ? 'NaN' : v > 0 ? '+Inf' : '-Inf']));
      expect(page.errors).toEqual([]);
    } finally { await page.close(); }
  });

  it('overlays runs with a legend, syncs cursors, zooms by dragging down to raw points, resets on double-click', async () => {
    const page = await open(`?project=${PROJECT}&run=${demo[0]}&run=${demo[1]}`);
    try {
      await ready(page, 'train/loss');
      await ready(page, 'train/lr');
      const loss = (await drawnPanel(page, 'train/loss'))!.model!;
      expect(loss.layers.map((l) => l.key)).toEqual(demo);
      expect(new Set(loss.layers.map((l) => l.color)).size).toBe(2);
      expect(await page.$$eval('.panel[data-metric="train/loss"] .legend-row', (r) => r.length)).toBe(2);
      const full = loss.bucket;
      expect(full).toBeGreaterThan(1);

      // The cursor over `loss` moves the one over `lr`.
      const over = (await page.$('.panel[data-metric="train/loss"] .u-over'))!;
      const box = (await over.boundingBox())!;
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await waitFor('synced cursor', async () => ((await page.textContent('.panel[data-metric="train/lr"] .legend-x'))?.startsWith('at step') ? true : undefined));

      // Drag over the middle fifth: every panel re-reads that range, finer,
      // the dragged one first (the others' requests start once it is drawn).
      // A panel's read: POST /series of its runs, or the band across ranks (train/loss is logged per rank).
      const reads: string[][] = [];
      page.on('request', (r) => {
        const url = new URL(r.url());
        if (r.method() === 'POST' && url.pathname.endsWith('/series')) reads.push([...new Set((JSON.parse(r.postData() ?? '{}') as { queries: { metric: string }[] }).queries.map((q) => q.metric))]);
        else if (url.pathname.endsWith('/ranks/series')) reads.push([url.searchParams.get('metric') ?? '']);
      });
      await page.mouse.move(box.x + box.width * 0.4, box.y + 20);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width * 0.6, box.y + 20, { steps: 5 });
      await page.mouse.up();
      await waitFor('zoom in URL', async () => (new URL(page.url()).searchParams.get('from') ? true : undefined));
      const zoom = () => { const p = new URL(page.url()).searchParams; return [Number(p.get('from')), Number(p.get('to'))] as const; };
      const [from, to] = zoom();
      expect(to - from).toBeLessThan(600);
      await waitFor('finer loss', async () => { const p = await drawnPanel(page, 'train/loss'); return p?.state === 'ready' && p.model!.bucket < full ? p : undefined; });
      const zoomed = (await waitFor('lr zoomed', async () => { const p = await drawnPanel(page, 'train/lr'); return p?.state === 'ready' && p.model!.xRange ? p : undefined; })).model!;
      expect(zoomed.bucket).toBe(1); // fewer steps than pixels: raw points
      expect(zoomed.xRange).toEqual([from, to - 1]);
      expect(reads[0]).toEqual(['train/loss']);
      expect(reads.slice(1).flat()).toContain('train/lr');
      await screenshot(page, 'dashboard-zoomed');

      await page.dblclick('.panel[data-metric="train/loss"] .u-over');
      await waitFor('zoom reset', async () => (new URL(page.url()).searchParams.get('from') === null ? true : undefined));
      await waitFor('full range again', async () => { const p = await drawnPanel(page, 'train/loss'); return p?.state === 'ready' && p.model!.bucket === full && !p.model!.xRange ? true : undefined; });
      expect(page.errors).toEqual([]);
    } finally { await page.close(); }
  });

  it('smooths the same zoomed in as over the whole run (TensorBoard\'s EMA of the raw points), log y, x by time; the URL restores the view', async () => {
    const run = demo[0]!, weight = 0.9;
    const { body: raw } = await getJson(`${ss.url}/v1/projects/${PROJECT}/runs/${run}/series?metric=train/loss&rank=0&points=100000`);
    expect(raw.bucket).toBe(1);
    let last = 0, n = 0;
    const reference = new Map<number, number>();
    raw.x.forEach((s: number, i: number) => { last = last * weight + (1 - weight) * raw.mean[i]; n++; reference.set(s, last / (1 - weight ** n)); });

    const page = await open(`?project=${PROJECT}&run=${run}&rank=0&smoothing=ema:${weight}&from=1200&to=1500`);
    try {
      await ready(page, 'train/loss');
      const m = (await drawnPanel(page, 'train/loss'))!.model!;
      expect(m.bucket).toBe(1);
      const line = m.layers[0]!.line;
      let compared = 0;
      m.x.forEach((s, i) => {
        if (s < 1200 || s >= 1500) return;
        expect(Math.abs(line[i]! - reference.get(s)!)).toBeLessThan(1e-3 * 10);
        compared++;
      });
      expect(compared).toBe(300);
      // The controls show what the URL says.
      expect(await page.inputValue('#smooth-kind')).toBe('ema');
      expect(await page.inputValue('#smooth-value')).toBe(String(weight));
      expect(await page.textContent('#zoom-info')).toContain('1,200');

      await page.check('#log-y');
      await page.selectOption('#x-axis', 'relative');
      await waitFor('x by time since start', async () => { const p = await drawnPanel(page, 'train/loss'); return p?.state === 'ready' && p.model!.xAxis === 'relative' ? p : undefined; });
      const params = new URL(page.url()).searchParams;
      expect([params.get('logy'), params.get('x'), params.get('smoothing')]).toEqual(['1', 'relative', `ema:${weight}`]);
      const t = await waitFor('log y drawn', async () => { const p = await drawnPanel(page, 'train/loss'); return p?.yRange ? p : undefined; });
      expect(t.yRange![0]).toBeGreaterThan(0);
      expect(t.model!.x[0]).toBeGreaterThanOrEqual(0);
      expect(t.model!.x.at(-1)!).toBeLessThan(3600_000);
      await page.selectOption('#x-axis', 'wall');
      await waitFor('x by wall time', async () => { const p = await drawnPanel(page, 'train/loss'); return p?.model?.xAxis === 'wall' && p.model.x[0]! > Date.now() - 3600_000 ? true : undefined; });
      await screenshot(page, 'dashboard-smoothed-wall-time');
      expect(page.errors).toEqual([]);
    } finally { await page.close(); }
  });
});
