// Paging a run list while the project changes: between the first page and
// the rest, runs are added (with keys that sort before and after the pages
// read), runs are renamed, and runs log points that move their last step and
// last loss. Every run that existed at the first page is listed exactly once,
// in every sort.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRequest } from './support/requests.js';
import { refList } from './support/run-list-reference.js';
import { postRuns, runListRuns, type SentRun } from './support/run-list-data.js';
import { getJson, postBatch, startInProcess, type Started } from './support/stepstream.js';
import { waitFor } from './support/wait.js';

const P = 'paging';
interface Page { runs: { id: string; name: string; last_step: number | null }[]; next_cursor: string | null }

describe('run list paging while runs are added and logging', () => {
  let ss: Started;
  let runs: SentRun[];
  const list = (query: string) => getJson<Page>(`${ss.url}/v1/projects/${P}/runs?${query}`);

  beforeAll(async () => {
    ss = await startInProcess();
    runs = runListRuns(30);
    await postRuns(ss.url, P, runs);
    await waitFor('every run stored', async () => ((await list('limit=1000')).body.runs?.length === runs.length ? true : undefined), 60_000);
  }, 120_000);
  afterAll(async () => { await ss?.stop(); });

  it('lists each run of the first page\'s list exactly once', async () => {
    const sorts = ['', 'sort=name', 'sort=-name', 'sort=started_ms', 'sort=last_step', 'sort=-last_step', 'sort=summary.loss', 'sort=-summary.loss', 'tag=a&sort=name'];
    const firstPages = new Map<string, Page>();
    for (const s of sorts) {
      const page = (await list(`${s}&limit=8`)).body;
      expect(page.next_cursor, s).not.toBeNull();
      firstPages.set(s, page);
    }
    const before = new Map(sorts.map((s) => [s, refList(runs, s.includes('tag=a') ? { tag: ['a'] } : {})]));

    // New runs whose keys sort first and last; run-005 renamed to sort last, run-021 to sort first;
    // run-002 (early by last step and loss) logs far ahead, run-028 (late) goes back to the front by loss.
    let sequence = 1000;
    const post = async (run: string, body: Parameters<typeof encodeRequest>[0]) => {
      const res = await postBatch(ss.url, encodeRequest({ ...body, project: P, runId: run, clientId: 'late', sequence: ++sequence }));
      expect(res.status).toBe(202);
    };
    for (const [id, name, step, loss] of [['aaa-new', 'AAAA first', 0, -1e9], ['zzz-new', 'zzzz last', 1e6, 1e9]] as const) {
      await post(id, { project: P, runId: id, run: { name, tags: ['a'], startedMs: 1, status: 1 }, series: [{ metric: 'loss', steps: [step], values: [loss] }] });
    }
    await post('run-005', { project: P, runId: 'run-005', run: { name: 'zzzzz renamed', tags: ['a'], startedMs: 1_900_000_000_000 } });
    await post('run-021', { project: P, runId: 'run-021', run: { name: '0 renamed', tags: ['a'], startedMs: 2 } });
    await post('run-002', { project: P, runId: 'run-002', series: [{ metric: 'loss', steps: [500_000], values: [1e8] }] });
    await post('run-028', { project: P, runId: 'run-028', series: [{ metric: 'loss', steps: [600_000], values: [-1e8] }] });
    await waitFor('the changes stored', async () => {
      const all = (await list('limit=1000')).body.runs;
      const by = new Map(all.map((r) => [r.id, r]));
      return by.get('run-005')?.name === 'zzzzz renamed' && by.get('run-021')?.name === '0 renamed' && by.get('run-028')?.last_step === 600_000
        && by.get('run-002')?.last_step === 500_000 && by.has('aaa-new') && by.has('zzz-new') ? true : undefined;
    });

    for (const s of sorts) {
      const first = firstPages.get(s)!;
      const ids = first.runs.map((r) => r.id);
      for (let cursor = first.next_cursor; cursor !== null; ) {
        const { status, body } = await list(`${s}&limit=8&cursor=${cursor}`);
        expect(status, s).toBe(200);
        ids.push(...body.runs.map((r) => r.id));
        cursor = body.next_cursor;
      }
      const counts = new Map<string, number>();
      for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
      for (const id of before.get(s)!) expect(counts.get(id), `${s}: ${id}`).toBe(1);
      expect([...counts.values()].every((n) => n === 1), `${s}: no run twice`).toBe(true);
    }
  });
});
