// `stepstream demo --restarts 3`, the real program against the all-in-one target: the lineage shows
// four attempts and the rollback, and the run detail counts the effective history only.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from './support/process.js';
import { getJson, startInProcess, type Started } from './support/stepstream.js';
import { waitFor } from './support/wait.js';

const run = promisify(execFile);
const STEPS = 600, RANKS = 4, RESTARTS = 3;

interface Lineage {
  attempts: { attempt: number; start_step: number; first_step: number | null; last_step: number | null; points: number }[];
  segments: { run: string; attempt: number; from: number; to: number | null }[];
}
interface Metric { name: string; ranks: number; count: number; first_step: number; last_step: number }

describe('stepstream demo --restarts', () => {
  let ss: Started;
  beforeAll(async () => { ss = await startInProcess(); });
  afterAll(async () => { await ss?.stop(); });

  it('sends a run that crashed and resumed 3 times, one rollback past an earlier restart, the last with fewer ranks', async () => {
    const args = ['demo', '--url', ss.url, '--project', 'restarts', '--runs', '1', '--ranks', String(RANKS), '--metrics', '3', '--steps', String(STEPS), '--steps-per-batch', '40', '--restarts', String(RESTARTS)];
    const { stdout } = await run(process.execPath, [CLI, ...args]);
    const sent = Number(/^sent ([\d,]+) points/m.exec(stdout)![1]!.replace(/,/g, ''));
    const runId = /runs\/(demo-[\w-]+)\/lineage/.exec(stdout)![1]!;
    const base = `${ss.url}/v1/projects/restarts/runs/${runId}`;

    // Everything sent is stored (superseded points included) once the attempts' points add up.
    const lineage = await waitFor('every point stored', async () => {
      const { status, body } = await getJson<Lineage>(`${base}/lineage`);
      return status === 200 && body.attempts.reduce((a, x) => a + x.points, 0) === sent ? body : undefined;
    });
    const { attempts, segments } = lineage;
    expect(attempts.map((a) => a.attempt)).toEqual([0, 1, 2, 3]);
    for (const [i, a] of attempts.entries()) {
      expect(a.first_step).toBe(a.start_step);
      // Each crashed attempt logged a tail past the checkpoint the next one resumed from.
      if (i < RESTARTS) expect(a.last_step!).toBeGreaterThanOrEqual(attempts[i + 1]!.start_step);
    }
    expect(attempts[3]!.last_step).toBe(STEPS - 1);
    // The 2nd restart resumed below the 1st: attempt 1 owns nothing, the segments skip it.
    expect(attempts[2]!.start_step).toBeLessThan(attempts[1]!.start_step);
    expect(segments).toEqual([
      { run: runId, attempt: 0, from: 0, to: attempts[2]!.start_step },
      { run: runId, attempt: 2, from: attempts[2]!.start_step, to: attempts[3]!.start_step },
      { run: runId, attempt: 3, from: attempts[3]!.start_step, to: null },
    ]);

    // The effective history: each segment's steps once, on the ranks of the attempt that owns them.
    const ranksOf = (attempt: number) => (attempt === RESTARTS ? RANKS - 1 : RANKS);
    const perRank = segments.reduce((a, s) => a + ((s.to ?? STEPS) - s.from) * ranksOf(s.attempt), 0);
    const detail = (await getJson<{ attempts: number; last_step: number; metrics: Metric[] }>(base)).body;
    expect(detail).toMatchObject({ attempts: 4, last_step: STEPS - 1 });
    const byName = new Map(detail.metrics.map((m) => [m.name, m]));
    expect([...byName.keys()].sort()).toEqual(['eval/accuracy', 'eval/loss', 'train/grad_norm', 'train/loss', 'train/lr', 'train/tokens_per_s']);
    for (const name of ['train/loss', 'train/grad_norm', 'train/tokens_per_s']) {
      expect(byName.get(name), name).toMatchObject({ ranks: RANKS, count: perRank, first_step: 0, last_step: STEPS - 1 });
    }
    expect(byName.get('train/lr')).toMatchObject({ ranks: 1, count: STEPS }); // rank -1: one point a step
    expect(byName.get('eval/loss')).toMatchObject({ ranks: 1, count: STEPS / 6 }); // rank -1: an evaluation every 6 steps

    // The elastic restart: the rank that did not come back ends where the last attempt began.
    const ranks = (await getJson<{ ranks: { rank: number; count: number; last_step: number }[] }>(`${base}/ranks?metric=train/loss`)).body.ranks;
    expect(ranks.find((r) => r.rank === RANKS - 1)).toMatchObject({ count: attempts[3]!.start_step, last_step: attempts[3]!.start_step - 1 });
    expect(ranks.find((r) => r.rank === 0)).toMatchObject({ count: STEPS, last_step: STEPS - 1 });

    // Each point carries the simulated job's time: a step every 400 ms, a restart 10 minutes after
    // its attempt crashed; the run started at its first point and ended (now) at its last.
    const res = await fetch(`${ss.url}/v1/projects/restarts/series`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ queries: [{ run: runId, metric: 'train/lr' }], points: STEPS, x: 'time' }),
    });
    const lr = (await res.json() as { series: [{ x: number[]; time_first: number[] }] }).series[0];
    expect(lr.x).toEqual(Array.from({ length: STEPS }, (_, i) => i));
    const gaps = lr.time_first.slice(1).map((t, i) => t - lr.time_first[i]!);
    const restartsAt = segments.slice(1).map((seg) => seg.from);
    expect(gaps.filter((_, i) => !restartsAt.includes(i + 1))).toEqual(new Array(STEPS - 1 - restartsAt.length).fill(400));
    for (const step of restartsAt) expect(gaps[step - 1]!, `restart at ${step}`).toBeGreaterThan(10 * 60_000);
    const row = (await getJson<{ runs: { id: string; started_ms: number; finished_ms: number }[] }>(`${ss.url}/v1/projects/restarts/runs`)).body.runs.find((r) => r.id === runId)!;
    expect(row.started_ms).toBe(lr.time_first[0]);
    expect(row.finished_ms).toBe(lr.time_first.at(-1)! + 400);
    expect(Math.abs(row.finished_ms - Date.now())).toBeLessThan(5 * 60_000);

    // What the crashed first attempt logged stays readable by attempt.
    const crash = (await getJson<{ x: number[] }>(`${base}/series?metric=train/loss&rank=0&points=1000&attempt=0`)).body;
    expect(crash.x.length).toBe(attempts[0]!.last_step! + 1);
  });
});
