// The dashboard's live view in a real browser (issue 13, item 8): while `stepstream demo --live`
// streams a run, the charts on screen grow every few seconds by what is new (a read from the last
// bucket's start, merged in place), with no full re-fetch (the panel's loads stay 1) and no redraw
// from scratch (the same canvas); the run's row in the table follows; when the demo stops, the page
// says the run finished.
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Request } from 'playwright-core';
import { CLI } from './support/process.js';
import { drawnPanel, launchBrowser, newPage, screenshot, SKIP_BROWSER } from './support/browser.js';
import { getJson, startInProcess, type Started } from './support/stepstream.js';
import { waitFor } from './support/wait.js';

const PROJECT = 'live';

describe.skipIf(SKIP_BROWSER)('dashboard: live', () => {
  let ss: Started;
  let browser: Browser;
  let demo: ChildProcess | null = null;

  beforeAll(async () => { ss = await startInProcess(); browser = await launchBrowser(); });
  afterAll(async () => { if (demo?.exitCode === null) demo.kill('SIGKILL'); await browser?.close(); await ss?.stop(); });

  it('grows the charts of a running run by their tails, in place, until it finishes', async () => {
    demo = spawn(process.execPath, [CLI, 'demo', '--live', '--url', ss.url, '--project', PROJECT, '--runs', '1', '--ranks', '2', '--metrics', '2', '--steps', '100000', '--steps-per-second', '20'], { stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => demo!.on('exit', (code) => resolve(code)));
    const run = await waitFor('a running run with steps', async () => {
      const r = (await getJson<{ runs: { id: string; status: string; last_step: number | null }[] }>(`${ss.url}/v1/projects/${PROJECT}/runs`)).body.runs[0];
      return r && r.status === 'running' && (r.last_step ?? 0) >= 20 ? r : undefined;
    });
    const page = await newPage(browser);
    const tails: { metric: string; from: number }[] = [];
    page.on('request', (req: Request) => {
      const body = req.postDataJSON() as { queries?: { metric: string }[]; from?: number } | null;
      if (req.url().endsWith('/series') && body?.queries && body.from !== undefined) tails.push({ metric: body.queries[0]!.metric, from: body.from });
    });
    /** The run's row in the table: the text of the column headed `label`. */
    const cell = (label: string) => page.evaluate(([id, name]) => {
      const doc = (globalThis as any).document;
      const heads = [...doc.querySelectorAll('table.runs thead th')].map((th: any) => th.textContent.replace(/ [▲▼]$/, ''));
      return doc.querySelector(`table.runs tr[data-run="${id}"]`)?.cells[heads.indexOf(name)]?.textContent ?? '';
    }, [run.id, label] as const);
    try {
      await page.goto(`${ss.url}/?project=${PROJECT}&run=${run.id}&metrics=train/`);
      const first = await waitFor('train/lr drawn', async () => { const p = await drawnPanel(page, 'train/lr'); return p?.state === 'ready' ? p : undefined; });
      await waitFor('train/loss drawn', async () => ((await drawnPanel(page, 'train/loss'))?.state === 'ready' ? true : undefined));
      const CANVASES = '.panel[data-metric="train/lr"] canvas, .panel[data-metric="train/loss"] canvas';
      await page.evaluate((sel) => { for (const c of (globalThis as any).document.querySelectorAll(sel)) c.dataset['mark'] = 'first'; }, CANVASES);
      const lastX = first.model!.x.at(-1)!;
      tails.length = 0;

      // It grows: more steps drawn, read from the last bucket's start, the panel never loaded again.
      const grown = await waitFor('train/lr grown', async () => { const p = await drawnPanel(page, 'train/lr'); return p && p.model!.x.at(-1)! >= lastX + 40 ? p : undefined; }, 30_000);
      expect(grown.loads).toBe(1);
      expect(grown.model!.x.slice(0, first.model!.x.length - 1)).toEqual(first.model!.x.slice(0, -1));
      const lr = tails.filter((t) => t.metric === 'train/lr');
      expect(lr.length).toBeGreaterThan(0);
      expect(lr[0]!.from).toBe(lastX);
      // The band across ranks grows too (its own tail read), in the same chart.
      const loss = await waitFor('train/loss grown', async () => { const p = await drawnPanel(page, 'train/loss'); return p && p.model!.x.at(-1)! >= lastX + 40 ? p : undefined; }, 30_000);
      expect(loss.loads).toBe(1);
      expect(await page.evaluate((sel) => [...(globalThis as any).document.querySelectorAll(sel)].map((c: any) => c.dataset['mark']), CANVASES)).toEqual(['first', 'first']);
      expect(await page.getAttribute('#live', 'data-state')).toBe('on');
      // The run's row in the table follows: its last step grows with the charts.
      await waitFor('the row\'s last step grown', async () => (Number((await cell('last step')).replace(/,/g, '')) >= lastX + 40 ? true : undefined), 30_000);
      expect(await cell('status')).toBe('running');
      await screenshot(page, 'dashboard-live');

      demo.kill('SIGINT');
      expect(await exited).toBe(0);
      await waitFor('live: finished', async () => ((await page.getAttribute('#live', 'data-state')) === 'done' ? true : undefined), 30_000);
      expect(await cell('status')).toBe('finished');
      expect(page.errors).toEqual([]);
    } finally { await page.close(); }
  });
});
