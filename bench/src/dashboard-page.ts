// The dashboard bench's measurements in a real browser (Debian's chromium driven by playwright-core):
// what a person waits for, read from the page's own timeline. The page marks each chart it draws
// (performance.mark 'stepstream:chart-drawn', detail {metric, bucket}: web/src/panel.ts); navigation
// and resource timing give the load and the API calls the page made.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { percentile } from './report.js';
import { stats, type Latency } from './timing.js';

export const DRAWN_MARK = 'stepstream:chart-drawn';

// The functions given to page.evaluate run in the page, where these are its globals (this
// module is compiled without the DOM's types, which clash with Node's).
declare const document: any, window: any, innerHeight: number;
declare function addEventListener(type: string, f: () => void, opts: object): void;
declare function requestAnimationFrame(f: (now: number) => void): void;
declare function getComputedStyle(el: unknown): { overflowY: string };

export function chromiumPath(): string {
  const path = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
  if (!existsSync(path)) throw new Error(`no chromium at ${path} (bash .ci/browser-prereqs.sh installs it; CHROMIUM_PATH names another)`);
  return path;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}

/** A fresh context (no cache, no storage) and page, as a person opening a link. */
async function freshPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  return context.newPage();
}

interface Drawn { metric: string; bucket: number; at: number }

/** The charts drawn so far: metric, bucket and time (ms since navigation start). */
function drawnCharts(page: Page): Promise<Drawn[]> {
  return page.evaluate((name) => performance.getEntriesByName(name).map((e) => ({ ...(e as any).detail as { metric: string; bucket: number }, at: e.startTime })), DRAWN_MARK);
}

async function waitDrawn(page: Page, count: number, timeoutMs = 30_000): Promise<Drawn[]> {
  await page.waitForFunction(([name, n]) => performance.getEntriesByName(name as string).length >= (n as number), [DRAWN_MARK, count] as const, { timeout: timeoutMs, polling: 20 });
  return drawnCharts(page);
}

export interface FirstChart {
  /** Navigation start to the first chart drawn, per load. */
  firstChart: Latency;
  /** Navigation start to DOMContentLoaded, per load. */
  domContentLoaded: Latency;
  /** Metric panels on the page (the run's metrics). */
  panels: number;
  /** API calls (/v1/...) the page made before its first chart, per load: count and the last one's end. */
  apiCallsBefore: number;
  apiEndMs: Latency;
  firstMs: number[];
}

/** Opens `url` `loads` times, each in a fresh context; the first is cold (the server's caches too). */
export async function measureFirstChart(browser: Browser, url: string, loads: number): Promise<FirstChart> {
  const first: number[] = [], dcl: number[] = [], apiEnd: number[] = [];
  let panels = 0, calls = 0;
  for (let i = 0; i < loads; i++) {
    const page = await freshPage(browser);
    try {
      await page.goto(url, { waitUntil: 'commit' });
      const [drawn] = await waitDrawn(page, 1);
      const t = await page.evaluate((at) => {
        const nav = (performance as any).getEntriesByType('navigation')[0];
        const api = ((performance as any).getEntriesByType('resource') as { name: string; startTime: number; responseEnd: number }[]).filter((r) => r.name.includes('/v1/') && r.startTime <= at);
        return { dcl: nav.domContentLoadedEventEnd, calls: api.length, end: Math.max(0, ...api.map((r) => r.responseEnd)), panels: document.querySelectorAll('.panel').length };
      }, drawn!.at);
      first.push(drawn!.at);
      dcl.push(t.dcl);
      apiEnd.push(t.end);
      calls = Math.max(calls, t.calls);
      panels = t.panels;
    } finally {
      await page.context().close();
    }
  }
  return { firstChart: stats(first), domContentLoaded: stats(dcl), panels, apiCallsBefore: calls, apiEndMs: stats(apiEnd), firstMs: first };
}

export interface ZoomFigures {
  /** Mouse up of the drag to the dragged chart drawn at the finer buckets. */
  dragged: Latency;
  /** Mouse up to the last chart on screen drawn again (zoom is synced). */
  allOnScreen: Latency;
  buckets: { before: number; after: number }[];
}

/** Drags over a range of the first chart `zooms` times (a double-click resets between): time to the redraw. */
export async function measureZoom(browser: Browser, url: string, zooms: number): Promise<ZoomFigures> {
  const page = await freshPage(browser);
  const dragged: number[] = [], all: number[] = [], buckets: ZoomFigures['buckets'] = [];
  try {
    await page.goto(url);
    await waitDrawn(page, 1);
    for (let i = 0; i < zooms; i++) {
      await page.waitForFunction(() => document.querySelectorAll('.panel[data-state="loading"]').length === 0, undefined, { timeout: 30_000 });
      const panel = page.locator('.panel[data-state="ready"]').first();
      const metric = (await panel.getAttribute('data-metric'))!;
      const before = Number(await panel.getAttribute('data-bucket'));
      const onScreen = await page.evaluate(() => [...document.querySelectorAll('.panel[data-state="ready"]')].filter((p: any) => { const r = p.getBoundingClientRect(); return r.bottom > 0 && r.top < innerHeight; }).length);
      const box = (await panel.locator('.u-over').boundingBox())!;
      const marks = (await drawnCharts(page)).length;
      // A different tenth of the run each time, so no answer is one the page already has.
      const a = 0.1 + 0.07 * (i % 10), b = a + 0.1;
      await page.mouse.move(box.x + box.width * a, box.y + box.height / 2);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width * b, box.y + box.height / 2, { steps: 4 });
      await page.evaluate(() => addEventListener('mouseup', () => { (window as unknown as { mouseUpAt: number }).mouseUpAt = performance.now(); }, { once: true, capture: true }));
      await page.mouse.up();
      await page.waitForFunction(([name, n, m]) => performance.getEntriesByName(name as string).slice(n as number).some((e) => ((e as any).detail as { metric: string }).metric === m),
        [DRAWN_MARK, marks, metric] as const, { timeout: 30_000, polling: 10 });
      const drawn = await waitDrawn(page, marks + onScreen);
      const t0 = await page.evaluate(() => (window as unknown as { mouseUpAt: number }).mouseUpAt);
      const mine = drawn.slice(marks).find((d) => d.metric === metric)!;
      dragged.push(mine.at - t0);
      all.push(Math.max(...drawn.slice(marks).map((d) => d.at)) - t0);
      buckets.push({ before, after: mine.bucket });
      await page.locator(`.panel[data-metric="${metric}"] .u-over`).dblclick();
      await waitDrawn(page, marks + 2 * onScreen);
    }
  } finally {
    await page.context().close();
  }
  return { dragged: stats(dragged), allOnScreen: stats(all), buckets };
}

export interface ScrollFigures {
  /** Frame intervals while the run table scrolled, ms. */
  frames: { p50: number; p95: number; p99: number; max: number; n: number };
  /** Share of frames longer than 1.5 × 16.7 ms (a frame missed at 60 Hz). */
  late: number;
  /** Runs the table had rendered (rows in the DOM) at the end, and rows seen on screen while scrolling. */
  rows: number;
  seconds: number;
}

/**
 * Scrolls the run table (its scrolling container: the nearest scrollable ancestor of its rows, else the
 * page) from top to bottom and back at a fast wheel's pace (120 px a frame), for `seconds`; each
 * frame's interval is read from requestAnimationFrame in the page.
 */
export async function measureScroll(browser: Browser, url: string, seconds: number): Promise<ScrollFigures> {
  const page = await freshPage(browser);
  try {
    await page.goto(url);
    await page.waitForSelector('#runs tbody tr', { timeout: 60_000 });
    const r = await page.evaluate(async (ms) => {
      const row = document.querySelector('#runs tbody tr')!;
      let box: any = row.parentElement;
      while (box && !(box.scrollHeight > box.clientHeight + 1 && /auto|scroll/.test(getComputedStyle(box).overflowY))) box = box.parentElement;
      const scroller = box ?? document.scrollingElement!;
      const frames: number[] = [];
      let dir = 1;
      await new Promise<void>((done) => {
        const start = performance.now();
        let last = start;
        const tick = (now: number) => {
          frames.push(now - last);
          last = now;
          const max = scroller.scrollHeight - scroller.clientHeight;
          if ((dir > 0 && scroller.scrollTop >= max - 1) || (dir < 0 && scroller.scrollTop <= 0)) dir = -dir;
          scroller.scrollTop += 120 * dir;
          if (now - start < ms) requestAnimationFrame(tick); else done();
        };
        requestAnimationFrame((now) => { last = now; requestAnimationFrame(tick); });
      });
      return { frames, rows: document.querySelectorAll('#runs tbody tr').length };
    }, seconds * 1000);
    const sorted = [...r.frames].sort((a, b) => a - b);
    const at = (q: number) => percentile(sorted, q);
    return { frames: { p50: at(50), p95: at(95), p99: at(99), max: sorted.at(-1) ?? NaN, n: sorted.length }, late: r.frames.filter((f) => f > 25).length / Math.max(1, r.frames.length), rows: r.rows, seconds };
  } finally {
    await page.context().close();
  }
}
