// The dashboard's browser tests drive Debian's chromium through playwright-core
// (no browser is downloaded). The browser is CHROMIUM_PATH, else `chromium`
// (or `chromium-browser`) on PATH. Without one the tests fail, naming
// .ci/browser-prereqs.sh, unless STEPSTREAM_SKIP_BROWSER_TESTS=1 says to skip them.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const SKIP_BROWSER = process.env['STEPSTREAM_SKIP_BROWSER_TESTS'] === '1';
if (SKIP_BROWSER) console.info('skipped: STEPSTREAM_SKIP_BROWSER_TESTS=1 (the dashboard\'s browser tests need chromium: bash .ci/browser-prereqs.sh)');

export function findChromium(): string {
  const given = process.env['CHROMIUM_PATH'];
  if (given) {
    if (!existsSync(given)) throw new Error(`CHROMIUM_PATH=${given} does not exist`);
    return given;
  }
  for (const name of ['chromium', 'chromium-browser']) {
    try { return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim(); } catch { /* next */ }
  }
  throw new Error('no chromium found (set CHROMIUM_PATH, or install it: bash .ci/browser-prereqs.sh); STEPSTREAM_SKIP_BROWSER_TESTS=1 skips these tests');
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: findChromium(), headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}

/** A page of the given size, its console errors collected (a test may assert there were none). */
export async function newPage(browser: Browser, width = 1400, height = 1000): Promise<Page & { errors: string[] }> {
  const page = await browser.newPage({ viewport: { width, height } }) as Page & { errors: string[] };
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  return page;
}

export const RESULTS_DIR = join(process.cwd(), 'test-results');

/** Writes test-results/<name>.png for a person to look at. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  await page.screenshot({ path: join(RESULTS_DIR, `${name}.png`), fullPage: false });
}

/** What a panel drew, read from window.__stepstream (web/src/main.ts). */
export interface DrawnPanel {
  metric: string;
  state: string;
  loads: number;
  yRange: [number, number] | null;
  model: null | {
    x: number[]; xAxis: string; bucket: number; steps: number[]; xRange: [number, number] | null; notes: string[];
    layers: { key: string; label: string; color: string; line: (number | null)[]; mean: (number | null)[]; band?: { min: (number | null)[]; max: (number | null)[] }; nonfinite?: { index: number; count: number; kinds: string[] }[] }[];
  };
}

export async function drawnPanels(page: Page): Promise<DrawnPanel[]> {
  return page.evaluate(() => (globalThis as any).__stepstream.panels());
}

export async function drawnPanel(page: Page, metric: string): Promise<DrawnPanel | undefined> {
  return (await drawnPanels(page)).find((p) => p.metric === metric);
}
