// Cross-rank reads (issue 12) of an all-in-one Stepstream against the
// reference: the 128-rank job of support/ranks-job.ts (stragglers, an elastic
// restart down to 96 ranks, late ranks, a gap, NaN/±Inf, exact ties, rank -1
// beside the ranks) and a small run with absent ranks, over the effective history.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitStored } from './support/lineage-check.js';
import { LineageLog } from './support/lineage-log.js';
import type { LineageReference } from './support/lineage-reference.js';
import { MetricCheck } from './support/ranks-check.js';
import { A1_RANKS, FIRST, GAP_FROM, GAP_TO, LATE_RANKS, LATE_START, RANKS, RESUME, RUN, highRankBatches, jobBatches, sparseBatches } from './support/ranks-job.js';
import type { HeatmapQuery, RangeQuery } from './support/ranks-reference.js';
import type { ListQuery, Order, SortKey, Window } from './support/rank-list-reference.js';
import { getJson, startInProcess, type Started } from './support/stepstream.js';

const PROJECT = 'ranks';
/** Past every step of the job: a range wider than the data. */
const WIDE = 2 ** 21;

describe('cross-rank reads', () => {
  let ss: Started;
  let ref: LineageReference;
  const checks = new Map<string, MetricCheck>();
  /** One metric's checker (its reference built once). */
  const check = (metric: string, run = RUN): MetricCheck => {
    let c = checks.get(`${run}/${metric}`);
    if (!c) checks.set(`${run}/${metric}`, (c = MetricCheck.of(ss.url, PROJECT, ref, run, metric)));
    return c;
  };

  beforeAll(async () => {
    ss = await startInProcess();
    const log = new LineageLog(PROJECT);
    await log.post(ss.url, [...jobBatches(), ...sparseBatches(), ...highRankBatches()]);
    ref = log.reference();
    await waitStored(ss.url, PROJECT, ref, 60_000);
  }, 120_000);
  afterAll(async () => { await ss?.stop(); });

  it('the job is what the checks below rely on', () => {
    const time = check('step_time');
    const points = ref.effective(RUN).filter((p) => p.metric === 'step_time');
    const ranks = (ps: typeof points) => new Set(ps.filter((p) => p.rank >= 0).map((p) => p.rank)).size;
    // Ranks 128 and 129 logged only above the restart: all superseded. 96 ranks after it, 120 before the late ones join.
    expect(time.band.rankCount()).toBe(RANKS);
    expect(ranks(points.filter((p) => p.step >= RESUME))).toBe(A1_RANKS);
    expect(ranks(points.filter((p) => p.step < LATE_START))).toBe(LATE_RANKS);
    // Rank -1 logs below and above the ranks' steps: the default range is the ranks' alone.
    const rankSteps = points.filter((p) => p.rank >= 0).map((p) => p.step);
    const last = rankSteps.reduce((a, b) => Math.max(a, b));
    expect(time.band.range({})).toEqual({ from: FIRST, to: last + 1 });
    expect(points.some((p) => p.rank === -1 && p.step < FIRST) && points.some((p) => p.rank === -1 && p.step > last)).toBe(true);
    // Exact ties: steps where several ranks hold the min (0.5) or the max (5); and NaN/±Inf.
    const holders = new Map<string, number>();
    for (const p of points) if (p.value === 0.5 || p.value === 5) holders.set(`${p.step}:${p.value}`, (holders.get(`${p.step}:${p.value}`) ?? 0) + 1);
    expect([...holders.values()].filter((n) => n > 1).length).toBeGreaterThan(20);
    for (const v of [NaN, Infinity, -Infinity]) expect(points.some((p) => Object.is(p.value, v))).toBe(true);
    // The stragglers stand out; tokens has a MAD of 0; after the restart the dropped ranks' heatmap row is empty.
    expect(time.list.stragglers({ from: 500_000 }).ranks.slice(0, 4).map((r) => r.rank).sort((a, b) => a - b)).toEqual([7, 50, 77, 91]);
    expect(check('tokens').list.stragglers()).toMatchObject({ median: 2, mad: 0, ranks: [{ rank: 9 }, { rank: 5 }, { rank: 6 }, { rank: 7 }] });
    expect(time.band.heatmap({ from: 400_000, to: 700_000, rows: 4 }).cells[3]!.every((v) => v === null)).toBe(true);
  });

  it('/ranks/series over many ranges and budgets: raw buckets and every tier; the same bucket as /series', async () => {
    const time = check('step_time');
    const ranges: RangeQuery[] = [
      {}, { from: 500_000 }, { to: 360_000 }, { from: 0, to: WIDE },
      { from: RESUME - 1000, to: RESUME + 1000 }, { from: RESUME - 20_000, to: RESUME + 20_000 },
      { from: GAP_FROM - 5000, to: GAP_TO + 5000 }, { from: 123_456, to: 124_000 }, { from: 690_000, to: 800_000 },
    ];
    const buckets = new Set<number>();
    for (const r of ranges) {
      for (const points of [undefined, 3, 100, 5000]) {
        const q = { ...r, ...(points === undefined ? {} : { points }) };
        const bucket = await time.checkBand(q);
        buckets.add(bucket);
        if (r.from !== undefined && r.to !== undefined && points !== 100) {
          const series = await getJson(`${time.url('series', { rank: 0, from: r.from, to: r.to, points: points ?? 1000 })}`);
          expect(series.body.bucket, `/series bucket for ${JSON.stringify(q)}`).toBe(bucket);
        }
      }
    }
    // Raw points (bucket < 256), and buckets each rollup tier answers (256, 4096, 65536).
    const classes = [...buckets].map((b) => (b < 256 ? 0 : b < 4096 ? 256 : b < 65536 ? 4096 : 65536));
    expect([...new Set(classes)].sort((a, b) => a - b)).toEqual([0, 256, 4096, 65536]);
    expect(buckets.has(1)).toBe(true);
    // A range with no point: no bucket.
    const empty = await getJson(time.url('ranks/series', { from: 800_000, to: 900_000 }));
    expect(empty.status).toBe(200);
    expect(empty.body).toMatchObject({ from: 800_000, to: 900_000, x: [], min: [], min_rank: [], ranks: [] });

    const tokens = check('tokens'), mem = check('mem', 'sparse');
    for (const points of [undefined, 3, 64]) {
      await tokens.checkBand(points === undefined ? {} : { points });
      await mem.checkBand(points === undefined ? {} : { points });
    }
    await mem.checkBand({ from: 100, to: 900, points: 10 });
  }, 60_000);

  it('/ranks/series of ranks on both sides of the rollup\'s bitmap and near 2^31, a step twice from one rank', async () => {
    const mem = check('mem', 'high');
    for (const q of [{}, { points: 7 }, { from: 240, to: 320 }, { from: 0, to: 600, points: 600 }, { from: 290, to: 300, points: 5 }]) await mem.checkBand(q);
  });

  it('/ranks/heatmap: rows of rank groups (partial last row, all-null rows) by mean, min and max', async () => {
    const time = check('step_time');
    const queries: HeatmapQuery[] = [
      {}, { rows: 10, stat: 'min' }, { rows: 3, stat: 'max', points: 50 }, { rows: 1 }, { rows: 4096, points: 3 },
      { rows: 4, from: 400_000, to: 700_000 }, { rows: 50, from: RESUME - 1000, to: RESUME + 1000, points: 1000, stat: 'max' },
      { rows: 7, from: 0, to: WIDE, stat: 'min' }, { rows: 128, to: LATE_START + 10_000, points: 20 },
      { rows: 9, from: GAP_FROM, to: GAP_TO, points: 5000, stat: 'mean' },
    ];
    for (const q of queries) await time.checkHeatmap(q);
    const mem = check('mem', 'sparse');
    for (const q of [{}, { rows: 6 }, { rows: 4, stat: 'max' }, { rows: 2, stat: 'min', points: 7 }] as HeatmapQuery[]) await mem.checkHeatmap(q);
    await check('tokens').checkHeatmap({ rows: 5, points: 30 });
  }, 60_000);

  it('/ranks: windows × sort keys × orders × limits, rank -1 listed like any rank', async () => {
    const windows: Window[] = [{}, { from: 400_000, to: 401_000 }, { from: 0, to: 200_000 }, { from: 500_000 }, { to: 360_000 }, { from: RESUME, to: RESUME + 1 }];
    const sorts: SortKey[] = ['mean', 'max', 'min', 'last', 'count'];
    const orders: (Order | undefined)[] = [undefined, 'desc', 'asc'];
    const limits = [undefined, 1, 7, 500];
    let n = 0, byLast = 0;
    const run = async (c: MetricCheck, q: ListQuery) => {
      if (c.list.unorderable(q)) return;
      if (q.sort === 'last') byLast++;
      await c.checkList(q);
    };
    for (const [metric, ws] of [['step_time', windows], ['tokens', windows.slice(0, 3)]] as const) {
      const c = check(metric);
      for (const w of ws) {
        await c.checkList(w);
        for (const sort of sorts) for (const order of orders) {
          const limit = limits[n++ % limits.length];
          await run(c, { ...w, sort, ...(order ? { order } : {}), ...(limit === undefined ? {} : { limit }) });
        }
      }
    }
    expect(byLast, 'lists sorted by last that were checked').toBeGreaterThan(5);
    const lr = check('lr');
    await lr.checkList({});
    await lr.checkList({ sort: 'mean', limit: 3 });
    expect(lr.list.list().map((e) => e.rank)).toEqual([-1]);
    await check('mem', 'sparse').checkList({ sort: 'max', order: 'asc', limit: 2 });
  }, 60_000);

  it('/ranks/stragglers: several windows and k, and the MAD 0 rule', async () => {
    const time = check('step_time');
    for (const k of [undefined, 1, 10, 100]) await time.checkStragglers({ from: 500_000, ...(k === undefined ? {} : { k }) });
    await time.checkStragglers({});
    await time.checkStragglers({ from: 0, to: 200_000 });
    await time.checkStragglers({ from: GAP_FROM, to: RESUME - 10_000, k: 5 });
    await time.checkStragglers({ from: 600_000, to: 610_000, k: 2 });
    const tokens = check('tokens');
    for (const q of [{}, { k: 1000 }, { k: 0.01, from: 0, to: 100_000 }, { from: 500_000 }]) await tokens.checkStragglers(q);
    await check('mem', 'sparse').checkStragglers({ k: 0.5 });
  }, 60_000);
});
