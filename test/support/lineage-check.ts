// Every read of a project's runs compared with the lineage reference: the run
// list, each run's detail, /ranks, the band across ranks, /lineage and
// /series (effective history, ?attempt=N, ?lineage=own) over many ranges and
// budgets.
import { isDeepStrictEqual } from 'node:util';
import { expect } from 'vitest';
import { referenceBuckets, sameValue, type RefPoint } from './reference.js';
import type { LineageReference, PointSelection } from './lineage-reference.js';
import { metricSummaries, rankRows, runFields, seriesPoints } from './lineage-summaries.js';
import { MetricCheck } from './ranks-check.js';
import { getJson } from './stepstream.js';
import { waitFor } from './wait.js';

const enc = encodeURIComponent;

/**
 * Waits until everything sent to the project's runs is stored: each run's
 * lineage is the reference's (its attempts' points, and the resume steps and
 * forks its run infos declared, which may land in a later write set).
 */
export async function waitStored(url: string, project: string, ref: LineageReference, timeoutMs = 30_000): Promise<void> {
  const probe = await getJson(`${url}/v1/projects/${enc(project)}/runs/${enc(ref.runIds()[0] ?? '-')}/lineage`);
  if (probe.body?.code === 'SS_ERR_ROUTE_NOT_FOUND') throw new Error('GET /v1/projects/:project/runs/:run/lineage is not served');
  for (const run of ref.runIds()) {
    const want = ref.lineage(run);
    await waitFor(`${project}/${run}: ${ref.stored(run).length} points and its lineage stored`, async () => {
      const { status, body } = await getJson(`${url}/v1/projects/${enc(project)}/runs/${enc(run)}/lineage`);
      return status === 200 && isDeepStrictEqual(body, want) ? true : undefined;
    }, timeoutMs);
  }
}

export interface CheckScope {
  /** Runs whose detail, ranks and lineage are checked (default: all). */
  runs?: readonly string[];
  /** Of those, runs whose series are checked too (default: all of them). */
  series?: readonly string[];
}

/** The run list, then each run: detail, ranks, lineage, series. Returns the tiers the series answers used. */
export async function checkProject(url: string, project: string, ref: LineageReference, scope: CheckScope = {}): Promise<Set<number>> {
  const base = `${url}/v1/projects/${enc(project)}`;
  const list = await getJson(`${base}/runs`);
  expect(list.status).toBe(200);
  expect(list.body.runs.map((r: { id: string }) => r.id)).toEqual(ref.runIds());
  for (const r of list.body.runs) expect(r, `runs list: ${r.id}`).toMatchObject(runFields(ref, r.id));
  await expectNotFound(`${base}/runs/no-such-run/lineage`, 'lineage of an unknown run');
  const tiers = new Set<number>();
  for (const run of scope.runs ?? ref.runIds()) await checkRun(`${base}/runs/${enc(run)}`, ref, run, scope.series?.includes(run) ?? true, tiers);
  return tiers;
}

const num = (v: number | string | null) => (v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : (v as number | null));

async function checkRun(runUrl: string, ref: LineageReference, run: string, withSeries: boolean, tiers: Set<number>): Promise<void> {
  const effective = ref.effective(run);
  const detail = await getJson(runUrl);
  expect(detail.status, run).toBe(200);
  expect(detail.body, `${run} detail`).toMatchObject(runFields(ref, run));
  expect(detail.body.metrics, `${run} detail metrics`).toMatchObject(metricSummaries(effective));

  const lineage = await getJson(`${runUrl}/lineage`);
  expect(lineage.status, `${run} lineage`).toBe(200);
  expect(lineage.body, `${run} lineage`).toEqual(ref.lineage(run));

  // Every series the run stored or inherits: a metric or rank all superseded answers 404.
  const keys = new Map<string, { metric: string; rank: number }>();
  for (const p of [...ref.stored(run), ...effective]) keys.set(`${p.metric}|${p.rank}`, { metric: p.metric, rank: p.rank });
  for (const metric of new Set([...keys.values()].map((k) => k.metric))) {
    const want = rankRows(effective, metric);
    const res = await getJson(`${runUrl}/ranks?metric=${enc(metric)}`);
    if (want.length === 0) expect(res.status, `${run} ranks of ${metric}: all superseded`).toBe(404);
    else expect(res.body, `${run} ranks of ${metric}`).toMatchObject({ metric, ranks: want });
    if (!withSeries || !want.some((r) => r.rank >= 0)) continue;
    // The band across ranks: whole, and a step at a time around the last
    // three places the history changes hands (the run's own restarts and its
    // fork step: the rank rollups of several segments, and runs, at once).
    const band = new MetricCheck(runUrl, metric, effective.filter((p) => p.metric === metric));
    await band.checkBand({});
    for (const b of ref.lineage(run).segments.map((s) => s.from).filter((b) => b > 0).slice(-3)) await band.checkBand({ from: b - 300, to: b + 300 });
  }

  if (!withSeries) return;
  // Segment and fork boundaries: the steps where the effective history changes hands.
  const bounds = ref.lineage(run).segments.map((s) => s.from);
  const forked = ref.declaredForkOf(run) !== null;
  const attempts = ref.attempts(run).map((a) => a.attempt);
  for (const { metric, rank } of keys.values()) {
    await checkSeries(runUrl, ref, run, metric, rank, { kind: 'effective' }, bounds, tiers);
    for (const attempt of attempts) await checkSeries(runUrl, ref, run, metric, rank, { kind: 'attempt', attempt }, [], tiers);
    if (forked) await checkSeries(runUrl, ref, run, metric, rank, { kind: 'own' }, [], tiers);
  }
  const unknown = Math.max(-1, ...attempts) + 1;
  const [some] = keys.values();
  if (some) await expectNotFound(`${runUrl}/series?metric=${enc(some.metric)}&rank=${some.rank}&attempt=${unknown}`, `${run}: unknown attempt ${unknown}`);
}

async function expectNotFound(url: string, what: string): Promise<void> {
  const res = await getJson(url);
  expect(res.status, what).toBe(404);
  expect(typeof res.body.code, `${what}: a JSON error body`).toBe('string');
}

type Range = [number | undefined, number | undefined];

/** Open ends, the whole extent, a wide range, and ranges around each boundary inside the series. */
function rangesOf(first: number, last: number, bounds: readonly number[]): Range[] {
  const span = last + 1 - first;
  const out: Range[] = [[undefined, undefined], [first + Math.floor(span / 3), undefined], [undefined, first + Math.ceil((2 * span) / 3)], [first, first + 2 ** 21]];
  for (const b of new Set(bounds)) {
    if (b <= first || b > last) continue;
    out.push([Math.max(0, b - 300), b + 300], [Math.max(0, b - 20_000), b + 20_000]);
  }
  return out;
}

async function checkSeries(runUrl: string, ref: LineageReference, run: string, metric: string, rank: number, selection: PointSelection, bounds: number[], tiers: Set<number>): Promise<void> {
  const extra = selection.kind === 'attempt' ? `&attempt=${selection.attempt}` : selection.kind === 'own' ? '&lineage=own' : '';
  const url = `${runUrl}/series?metric=${enc(metric)}&rank=${rank}${extra}`;
  const name = `${run} ${metric}@${rank}${extra}`;
  const pts = seriesPoints(ref, run, metric, rank, selection);
  if (pts.length === 0) {
    // ?lineage=own with no own points: the issue names no answer for it.
    if (selection.kind !== 'own') await expectNotFound(url, `${name}: no points`);
    return;
  }
  const first = pts[0]!.step, last = pts.at(-1)!.step;
  const ranges = rangesOf(first, last, bounds);
  // The effective history in every range and budget; an attempt's or a fork's own in a few.
  const budgets = selection.kind === 'effective' ? [3, 100, 1000] : [5, 700];
  for (const [from, to] of selection.kind === 'effective' ? ranges : ranges.slice(0, 3)) {
    for (const points of budgets) {
      let q = `${url}&points=${points}`;
      if (from !== undefined) q += `&from=${from}`;
      if (to !== undefined) q += `&to=${to}`;
      await checkAnswer(q, `${name} [${from ?? ''},${to ?? ''}) points=${points}`, pts, from ?? first, to ?? last + 1, points, tiers);
    }
  }
}

async function checkAnswer(url: string, ctx: string, pts: RefPoint[], f: number, t: number, points: number, tiers: Set<number>): Promise<void> {
  const res = await getJson(url);
  expect(res.status, ctx).toBe(200);
  const b = res.body;
  expect([b.from, b.to], `${ctx}: range answered`).toEqual([f, t]);
  tiers.add(b.tier);
  expect(b.bucket, ctx).toBeLessThanOrEqual(Math.max(1, 2 * Math.ceil((t - f) / points)));
  if (t - f <= points) expect(b.bucket, ctx).toBe(1);
  const want = referenceBuckets(pts, b.bucket, f, t);
  expect(b.x, `${ctx} bucket=${b.bucket} tier=${b.tier}: bucket starts`).toEqual(want.map((w) => w.x));
  want.forEach((w, i) => {
    const at = `${ctx} bucket=${b.bucket} tier=${b.tier} x=${w.x}`;
    expect([b.count[i], b.nonfinite[i]], at).toEqual([w.count, w.nonfinite]);
    expect(sameValue(b.min[i], w.min) && sameValue(b.max[i], w.max), `${at} min/max ${b.min[i]}/${b.max[i]} want ${w.min}/${w.max}`).toBe(true);
    expect(sameValue(num(b.first[i]), w.first) && sameValue(num(b.last[i]), w.last), `${at} first/last ${b.first[i]}/${b.last[i]} want ${w.first}/${w.last}`).toBe(true);
    expect(sameValue(b.mean[i], w.mean, 1e-12), `${at} mean`).toBe(true);
  });
}
