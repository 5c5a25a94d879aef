// The cross-rank reads of one metric (issue 12) compared with the reference:
// /ranks/series, /ranks/heatmap, /ranks and /ranks/stragglers, one request a
// check. Means (and what is computed from them) within a relative 1e-9, as
// float sums reassociate; everything else exactly.
import { expect } from 'vitest';
import { sameValue } from './reference.js';
import type { LineageReference } from './lineage-reference.js';
import { BandReference, type HeatmapQuery, type RangeQuery, type RankPoint } from './ranks-reference.js';
import { RankListReference, type ListQuery, type RankEntry, type Straggler, type Window } from './rank-list-reference.js';
import { getJson } from './stepstream.js';

export const MEAN_TOLERANCE = 1e-9;

type Query = Record<string, string | number | undefined>;

/** Fails at the first element that differs, naming it (a whole column's diff is unreadable). */
function expectColumn(ctx: string, got: unknown, want: readonly (number | null)[], tolerance = 0, x?: readonly number[]): void {
  expect(Array.isArray(got), `${ctx}: an array`).toBe(true);
  const g = got as (number | null)[];
  expect(g.length, `${ctx}: length`).toBe(want.length);
  want.forEach((w, i) => {
    if (g[i] === undefined || !sameValue(g[i]!, w, tolerance)) expect(g[i], `${ctx}[${i}]${x ? ` x=${x[i]}` : ''}`).toBe(w);
  });
}

export class MetricCheck {
  readonly band: BandReference;
  readonly list: RankListReference;

  constructor(readonly runUrl: string, readonly metric: string, points: readonly RankPoint[]) {
    this.band = new BandReference(points);
    this.list = new RankListReference(points);
  }

  /** The metric's effective points in one run of the lineage reference. */
  static of(url: string, project: string, ref: LineageReference, run: string, metric: string): MetricCheck {
    const points = ref.effective(run).filter((p) => p.metric === metric).map((p) => ({ rank: p.rank, step: p.step, value: p.value }));
    return new MetricCheck(`${url}/v1/projects/${encodeURIComponent(project)}/runs/${encodeURIComponent(run)}`, metric, points);
  }

  url(route: string, q: Query = {}): string {
    const params = new URLSearchParams({ metric: this.metric });
    for (const [k, v] of Object.entries(q)) if (v !== undefined) params.set(k, String(v));
    return `${this.runUrl}/${route}?${params}`;
  }

  private async get(route: string, q: Query): Promise<{ ctx: string; body: any }> {
    const url = this.url(route, q);
    const ctx = `${route}?${url.split('?')[1]}`;
    const res = await getJson(url);
    expect(res.status, `${ctx}: ${JSON.stringify(res.body).slice(0, 300)}`).toBe(200);
    return { ctx, body: res.body };
  }

  /** GET /ranks/series; returns the bucket answered. */
  async checkBand(q: RangeQuery): Promise<number> {
    const want = this.band.band(q);
    const { ctx, body: b } = await this.get('ranks/series', { ...q });
    expect({ metric: b.metric, from: b.from, to: b.to, bucket: b.bucket }, ctx).toEqual({ metric: this.metric, from: want.from, to: want.to, bucket: want.bucket });
    const at = `${ctx} bucket=${want.bucket}`;
    expectColumn(`${at} x`, b.x, want.x);
    for (const col of ['count', 'nonfinite', 'ranks', 'min', 'max', 'min_rank', 'max_rank'] as const) expectColumn(`${at} ${col}`, b[col], want[col], 0, want.x);
    expectColumn(`${at} mean`, b.mean, want.mean, MEAN_TOLERANCE, want.x);
    return want.bucket;
  }

  /** GET /ranks/heatmap. */
  async checkHeatmap(q: HeatmapQuery): Promise<void> {
    const want = this.band.heatmap(q);
    const { ctx, body: h } = await this.get('ranks/heatmap', { ...q });
    expect({ metric: h.metric, bucket: h.bucket, group: h.group }, ctx).toEqual({ metric: this.metric, bucket: want.bucket, group: want.group });
    expectColumn(`${ctx} x`, h.x, want.x);
    expectColumn(`${ctx} row_first_rank`, h.row_first_rank, want.row_first_rank);
    expect(h.cells?.length, `${ctx}: rows`).toBe(want.cells.length);
    const tolerance = (q.stat ?? 'mean') === 'mean' ? MEAN_TOLERANCE : 0;
    want.cells.forEach((row, i) => expectColumn(`${ctx} cells[${i}]`, h.cells[i], row, tolerance, want.x));
  }

  /**
   * GET /ranks. Entries exactly (mean within tolerance) and in the reference's
   * order; two ranks may trade places only where their keys differ by less
   * than the tolerance (a float mean off by an ulp), never on an exact tie.
   */
  async checkList(q: ListQuery): Promise<void> {
    const want = this.list.list(q);
    const all = new Map(this.list.list({ ...(q.from === undefined ? {} : { from: q.from }), ...(q.to === undefined ? {} : { to: q.to }) }).map((e) => [e.rank, e]));
    const { ctx, body } = await this.get('ranks', { ...q });
    expect(body.metric, ctx).toBe(this.metric);
    const got = body.ranks as RankEntry[];
    expect(got.map((e) => e.rank).length, `${ctx}: entries`).toBe(want.length);
    expect(new Set(got.map((e) => e.rank)).size, `${ctx}: each rank once`).toBe(got.length);
    got.forEach((g, i) => {
      const w = all.get(g.rank);
      expect(w, `${ctx}: rank ${g.rank} has no point in the window`).toBeDefined();
      const { mean, ...exact } = g;
      const { mean: wantMean, ...wantExact } = w!;
      expect(exact, `${ctx}: rank ${g.rank}`).toEqual(wantExact);
      expect(sameValue(mean ?? null, wantMean, MEAN_TOLERANCE), `${ctx}: rank ${g.rank} mean ${mean} want ${wantMean}`).toBe(true);
      const here = want[i]!;
      if (g.rank === here.rank) return;
      const sort = q.sort;
      const [kg, kw] = sort ? [RankListReference.sortKeyOf(w!, sort), RankListReference.sortKeyOf(here, sort)] : [null, null];
      const nearTie = sort !== undefined && kg !== kw && sameValue(kg, kw, MEAN_TOLERANCE);
      expect(nearTie, `${ctx}: position ${i} is rank ${g.rank} (key ${kg}), want rank ${here.rank} (key ${kw})`).toBe(true);
    });
  }

  /** GET /ranks/stragglers: median and MAD, then the ranks listed in the reference's order (near ties aside). */
  async checkStragglers(q: Window & { k?: number }): Promise<void> {
    const want = this.list.stragglers(q);
    const { ctx, body: s } = await this.get('ranks/stragglers', { ...q });
    expect(s.metric, ctx).toBe(this.metric);
    expect(sameValue(s.median, want.median, MEAN_TOLERANCE), `${ctx}: median ${s.median} want ${want.median}`).toBe(true);
    expect(sameValue(s.mad, want.mad, MEAN_TOLERANCE), `${ctx}: mad ${s.mad} want ${want.mad}`).toBe(true);
    const got = s.ranks as Straggler[];
    expect(got.map((r) => r.rank), `${ctx}: ranks listed`).toHaveLength(want.ranks.length);
    const byRank = new Map(want.ranks.map((r) => [r.rank, r]));
    const away = (r: Straggler) => (r.score === null ? Math.abs(r.mean - want.median) : Math.abs(r.score));
    got.forEach((g, i) => {
      const w = byRank.get(g.rank);
      expect(w, `${ctx}: rank ${g.rank} listed, not a straggler`).toBeDefined();
      expect(sameValue(g.mean, w!.mean, MEAN_TOLERANCE) && sameValue(g.score, w!.score, MEAN_TOLERANCE), `${ctx}: rank ${g.rank} ${JSON.stringify(g)} want ${JSON.stringify(w)}`).toBe(true);
      const here = want.ranks[i]!;
      if (g.rank === here.rank) return;
      const nearTie = away(w!) !== away(here) && sameValue(away(w!), away(here), MEAN_TOLERANCE);
      expect(nearTie, `${ctx}: position ${i} is rank ${g.rank}, want rank ${here.rank}`).toBe(true);
    });
  }
}
