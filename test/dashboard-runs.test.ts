// The dashboard's run table and page states in a real browser (issue 13, items 1 and 10):
// 250 runs paged by the server's cursor, filtered by text, tags, status and config value,
// sorted by a summary column, many runs picked and charted at once; an empty project, an
// unknown run; the server going down (a banner, retrying) and coming back wanting an API key
// (a key field; the key kept in localStorage).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { IngestClient, newClientId } from '@stepstream/client';
import { hashKey } from '@stepstream/runtime';
import { drawnPanel, launchBrowser, newPage, screenshot, SKIP_BROWSER } from './support/browser.js';
import { waitCounts } from './support/dashboard-data.js';
import { startChild } from './support/process.js';
import { startInProcess, type Started } from './support/stepstream.js';
import { waitFor } from './support/wait.js';

const PROJECT = 'table';
const RUNS = 250;
const STATUS = ['finished', 'failed', 'running'] as const;
const LR = [0.1, 0.01, 0.001];
const name = (i: number) => `run-${String(i).padStart(3, '0')}`;
const tagsOf = (i: number) => [...(i % 3 === 0 ? ['a'] : []), ...(i % 5 === 0 ? ['b'] : [])];

describe.skipIf(SKIP_BROWSER)('dashboard run table and states', () => {
  let ss: Started;
  let browser: Browser;

  beforeAll(async () => {
    ss = await startInProcess();
    browser = await launchBrowser();
    const client = new IngestClient({ url: ss.url });
    const ids = Array.from({ length: RUNS }, (_, i) => i);
    for (let k = 0; k < RUNS; k += 25) {
      await Promise.all(ids.slice(k, k + 25).map((i) => client.send({
        project: PROJECT, runId: name(i), clientId: newClientId(0), sequence: 1,
        run: { name: name(i), status: STATUS[i % 3], tags: tagsOf(i), startedMs: 1_700_000_000_000 + i * 60_000, configJson: JSON.stringify({ lr: LR[i % 3], opt: { name: i % 2 ? 'sgd' : 'adam' } }) },
        series: [{ metric: 'loss', steps: [0, 1, 2, 3], values: [i, i, i, i + 0.5] }],
      })));
    }
    client.close();
    await waitCounts(ss.url, PROJECT, { [name(0)]: { loss: 4 }, [name(RUNS - 1)]: { loss: 4 } });
    await waitFor('every run listed', async () => {
      const r = await fetch(`${ss.url}/v1/projects/${PROJECT}/runs?limit=1000&summary=loss`);
      const body = await r.json() as { runs: { summary?: { loss: unknown } }[] };
      return body.runs.length === RUNS && body.runs.every((x) => x.summary?.loss) ? true : undefined;
    }, 60_000);
  }, 120_000);
  afterAll(async () => { await browser?.close(); await ss?.stop(); });

  const rowNames = (page: Awaited<ReturnType<typeof newPage>>) => page.$$eval('table.runs tbody tr', (rows) => rows.map((r) => r.getAttribute('data-run')));
  const tableReady = (page: Awaited<ReturnType<typeof newPage>>) => page.waitForSelector('#runs[data-state="ready"]', { timeout: 15_000 });

  it('pages through 250 runs, filters by text, tags, status and config, sorts by a summary column', async () => {
    const page = await newPage(browser);
    try {
      await page.goto(`${ss.url}/`);
      await tableReady(page);
      expect(new URL(page.url()).searchParams.get('project')).toBe(PROJECT);
      expect(await rowNames(page)).toEqual(Array.from({ length: 100 }, (_, i) => name(i)));
      await page.click('.pager .next');
      await waitFor('page 2', async () => ((await rowNames(page))[0] === name(100) ? true : undefined));
      await page.click('.pager .next');
      await waitFor('page 3', async () => ((await rowNames(page)).length === 50 ? true : undefined));
      expect(await page.isDisabled('.pager .next')).toBe(true);
      expect(await page.textContent('.pager span')).toBe('runs 201–250');

      const expectRows = async (what: string, want: (i: number) => boolean) => {
        const names = Array.from({ length: RUNS }, (_, i) => i).filter(want).map(name).slice(0, 100);
        await waitFor(what, async () => (JSON.stringify(await rowNames(page)) === JSON.stringify(names) ? true : undefined));
      };
      await page.fill('#run-filter', 'RUN-01');
      await page.press('#run-filter', 'Enter');
      await expectRows('text filter', (i) => name(i).includes('run-01'));
      await page.fill('#run-filter', '');
      await page.fill('#tag-filter', 'a, b');
      await page.press('#tag-filter', 'Enter');
      await expectRows('tag filter', (i) => i % 15 === 0);
      await page.fill('#tag-filter', '');
      await page.selectOption('#status-filter', 'failed');
      await page.fill('#config-filter', 'lr=0.01, opt.name=sgd');
      await page.press('#config-filter', 'Enter');
      // failed is i % 3 == 1, and so is lr=0.01; sgd is odd.
      await expectRows('status and config filter', (i) => i % 3 === 1 && i % 2 === 1);
      const params = new URL(page.url()).searchParams;
      expect([params.get('status'), params.getAll('cfg')]).toEqual(['failed', ['lr=0.01', 'opt.name=sgd']]);

      await page.selectOption('#status-filter', '');
      await page.fill('#config-filter', '');
      await page.fill('#config-columns', 'opt.name');
      await page.fill('#summary-columns', 'loss');
      await page.press('#summary-columns', 'Enter');
      await page.click('th[data-sort="summary.loss"]');
      await page.click('th[data-sort="summary.loss"]');
      const descending = Array.from({ length: 100 }, (_, k) => name(RUNS - 1 - k));
      await waitFor('sorted by loss, descending', async () => (JSON.stringify(await rowNames(page)) === JSON.stringify(descending) ? true : undefined));
      const first = await page.$$eval('table.runs tbody tr:first-child td', (tds) => tds.map((t) => t.textContent));
      expect(first.slice(1, 4)).toEqual([name(RUNS - 1), 'sgd', String(RUNS - 1 + 0.5)]);
      // The columns asked for sit next to the name, inside the sidebar's view.
      const inView = await page.$$eval('table.runs thead th', (ths) => {
        const aside = ths[0]!.closest('aside')!.getBoundingClientRect();
        return ths.filter((th) => ['opt.name', 'loss ▼'].includes(th.textContent ?? '')).map((th) => th.getBoundingClientRect().right <= aside.right);
      });
      expect(inView).toEqual([true, true]);
      expect(new URL(page.url()).searchParams.get('sort')).toBe('-summary.loss');
      await screenshot(page, 'dashboard-run-table');
      expect(page.errors).toEqual([]);
    } finally { await page.close(); }
  });

  it('charts every run of a page at once, each in its own colour', async () => {
    const page = await newPage(browser);
    try {
      await page.goto(`${ss.url}/?project=${PROJECT}`);
      await tableReady(page);
      await page.click('text=chart every run on this page');
      await waitFor('100 runs in the URL', async () => (new URL(page.url()).searchParams.getAll('run').length === 100 ? true : undefined));
      const loss = await waitFor('100 layers', async () => { const p = await drawnPanel(page, 'loss'); return p?.state === 'ready' && p.model!.layers.length === 100 ? p : undefined; }, 30_000);
      expect(new Set(loss.model!.layers.map((l) => l.color)).size).toBe(100);
      expect(loss.model!.layers[7]!.line.filter((v) => v !== null)).toEqual([7, 7, 7, 7.5]);
      await screenshot(page, 'dashboard-100-runs');
    } finally { await page.close(); }
  });

  it('says so for an empty project, an unknown run and a store with no project yet', async () => {
    const page = await newPage(browser);
    try {
      await page.goto(`${ss.url}/?project=nothing`);
      await page.waitForSelector('#runs[data-state="empty"]');
      expect(await page.textContent('#runs')).toContain('No runs in project nothing');
      await page.goto(`${ss.url}/?project=${PROJECT}&run=no-such-run&run=${name(3)}`);
      await page.waitForSelector('#notice[data-kind="unknown-run"]');
      expect(await page.textContent('#notice')).toContain('no-such-run');
      expect(await page.getAttribute('.chip[data-run="no-such-run"]', 'class')).toContain('missing');
    } finally { await page.close(); }

    // A store with no project at all: the page says so, and a project the URL names is shown empty.
    const emptyDir = mkdtempSync(join(tmpdir(), 'ss-empty-'));
    const fresh = await startChild(['--data', emptyDir]);
    const blank = await newPage(browser);
    try {
      await blank.goto(`${fresh.url}/`);
      await blank.waitForSelector('#runs[data-state="empty"]', { state: 'attached' }); // nothing in it: the header says why
      expect(await blank.textContent('#project-info')).toContain('No projects yet');
      await blank.goto(`${fresh.url}/?project=later&run=r1`);
      await blank.waitForSelector('#runs[data-state="empty"]');
      expect(await blank.textContent('#runs')).toContain('No runs in project later yet');
      expect(await blank.textContent('#project-info')).toContain('No projects yet');
      expect(blank.errors).toEqual([]);
    } finally { await blank.close(); await fresh.stop(); rmSync(emptyDir, { recursive: true, force: true }); }
  });

  it('shows a banner while the server is down, retries, and asks for a key when it comes back with keys on', async () => {
    const page = await newPage(browser);
    const port = new URL(ss.url).port;
    try {
      await page.goto(`${ss.url}/?project=${PROJECT}`);
      await tableReady(page);
      await ss.close();
      await page.fill('#run-filter', 'run-2');
      await page.press('#run-filter', 'Enter');
      await page.waitForSelector('#banner[data-kind="down"]', { timeout: 15_000 });
      expect(await page.textContent('#banner')).toMatch(/Retrying in \d+ s/);
      await screenshot(page, 'dashboard-server-down');

      const key = 'test-key-0123456789';
      ss = await startInProcess({ port, 'api-keys': `${PROJECT}:read:${hashKey(key)}` }, ss.dataDir);
      await page.waitForSelector('#banner[data-kind="key"]', { timeout: 30_000 });
      await page.fill('#banner input[name="api-key"]', key);
      await page.click('#banner button');
      await tableReady(page);
      expect((await rowNames(page))[0]).toBe(name(200));
      expect(await page.evaluate(() => (globalThis as any).localStorage.getItem('stepstream.apiKey'))).toBe(key);
      await page.reload();
      await tableReady(page);
      expect(await page.isHidden('#banner')).toBe(true);
    } finally { await page.close(); }
  });
});
