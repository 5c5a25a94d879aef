// The runs a run-list test sends: names of mixed case (some absent), tags,
// statuses, nested configs whose values look alike across types (0.1 and
// "0.1", true and "true", null), start times with ties, and a `loss` whose
// last value ties, goes NaN or infinite, or is missing; one run with only
// its RunInfo, some with points only, and one restarted run whose superseded
// points must not count.
import { encodeRequest, type TestSeries, type pb } from './requests.js';
import { postBatch } from './stepstream.js';
import type { RefPoint, RefRun } from './run-list-reference.js';

export interface SentRun extends RefRun { batches: { attempt: number; series: TestSeries[]; info?: pb.v1.IRunInfo }[] }

const series = (metric: string, pts: RefPoint[]): TestSeries => ({ metric, steps: pts.map((p) => p.step), values: pts.map((p) => p.value) });

function lossPoints(i: number, last: number): RefPoint[] {
  const pts: RefPoint[] = [];
  const n = 10 + (i % 9) * 5;
  for (let s = 0; s < n; s++) pts.push({ step: s * 3, value: s === n - 1 ? last : 10 - s * 0.25 + (i % 4), rank: -1 });
  return pts;
}

export function runListRuns(count: number): SentRun[] {
  const runs: SentRun[] = [];
  for (let i = 0; i < count; i++) {
    const id = `run-${String(i).padStart(3, '0')}`;
    const last = i % 11 === 0 ? NaN : i % 13 === 0 ? Infinity : i % 17 === 0 ? -Infinity : (i % 5) * 0.5;
    const points: Record<string, RefPoint[]> = i % 10 === 3 ? {} : { loss: lossPoints(i, last) };
    points['acc'] = [{ step: i, value: i / 100, rank: -1 }];
    const config = {
      lr: [0.1, 0.01, 1][i % 3], opt: { name: ['adam', 'sgd'][i % 2], beta: i % 4, deep: { on: i % 3 === 0 } },
      flag: i % 2 === 0 ? true : 'true', seed: i % 5 === 0 ? null : i, s: i % 3 === 0 ? '0.1' : 'x',
    };
    const info = i % 14 === 0 ? undefined : {
      name: i % 7 === 0 ? '' : [`Alpha-${i % 9}`, `beta ${i}`, `GAMMA_${i % 4}`][i % 3]!, tags: [['a'], ['a', 'b'], ['b', 'c'], []][i % 4]!,
      status: i % 5, config, startedMs: i % 6 === 0 ? 0 : 1_700_000_000_000 + ((i * 37) % 20) * 1000,
    };
    const pbInfo = info && { name: info.name, tags: info.tags, status: info.status, configJson: JSON.stringify(info.config), startedMs: info.startedMs };
    runs.push({ id, ...(info ? { info } : {}), points, batches: [{ attempt: 0, series: Object.entries(points).map(([m, p]) => series(m, p)), ...(pbInfo ? { info: pbInfo } : {}) }] });
  }
  runs.push({ id: 'info-only', info: { name: 'Only Info', tags: ['a'], status: 2, config: { lr: 0.1 }, startedMs: 1_600_000_000_000 }, points: {},
    batches: [{ attempt: 0, series: [], info: { name: 'Only Info', tags: ['a'], status: 2, configJson: '{"lr":0.1}', startedMs: 1_600_000_000_000 } }] });
  // Restarted at step 100: attempt 0's steps 100..199 are superseded, so its last step is 149, not 199.
  const a0 = Array.from({ length: 200 }, (_, s) => ({ step: s, value: 100 + s, rank: -1 }));
  const a1 = Array.from({ length: 50 }, (_, s) => ({ step: 100 + s, value: -1 - s, rank: -1 }));
  runs.push({
    id: 'restarted', info: { name: 'restarted', tags: ['r'], status: 1, config: { lr: 1 }, startedMs: 1_650_000_000_000 },
    points: { loss: [...a0.slice(0, 100), ...a1] },
    batches: [
      { attempt: 0, series: [series('loss', a0)], info: { name: 'restarted', tags: ['r'], status: 1, configJson: '{"lr":1}', startedMs: 1_650_000_000_000 } },
      { attempt: 1, series: [series('loss', a1)], info: { resumeStep: 100 } },
    ],
  });
  return runs;
}

export async function postRuns(url: string, project: string, runs: readonly SentRun[]): Promise<void> {
  let sequence = 0;
  for (const r of runs) {
    for (const b of r.batches) {
      const res = await postBatch(url, encodeRequest({ project, runId: r.id, attempt: b.attempt, clientId: 'rl', sequence: ++sequence, series: b.series, ...(b.info ? { run: b.info } : {}) }));
      if (res.status !== 202) throw new Error(`${r.id}: ${res.status} ${JSON.stringify(res.body)}`);
    }
  }
}
