// Many series requests of one project read together: each planned as the
// series reader plans it (series-reader.ts), and the buckets of all of them
// read in one engine statement (the store's seriesColumnsMany), a second one
// for those whose extent guess gave the wrong plan. A request that is not the
// plain case (no points where it looked, an unknown attempt, an empty range)
// is handed to the series reader itself, which answers it, or its 404, as GET
// does: every answer is the reader's own.
import { ReadRefusedError, TIER_WIDTHS, type ColumnsRead, type LineageReads, type SeriesColumns } from '@stepstream/storage';
import { resolveLineage, type Lineage } from './lineage.js';
import type { Extent } from './series-extents.js';
import type { SeriesAnswer, SeriesReader, SeriesRequest } from './series-reader.js';
import { planSeries, type SeriesPlan } from './tier-planner.js';

/** What the batch reader needs of the store beside the reader's reads. */
export interface BatchReads { lineage: Pick<LineageReads, 'seriesColumnsMany'> }


interface Pending { i: number; q: SeriesRequest; lineage: Lineage; plan: SeriesPlan; guessed: boolean; openFrom: boolean; openTo: boolean }

/**
 * The effective extent a run's facts tell for any of its series: from each
 * segment's attempt's first and last step, clipped to the segment. Right for
 * a series logged over the whole run; else the first read tells the series'
 * own extent, and it is read again (as a wrong guess of the reader is).
 */
function factsExtent(l: Lineage): Extent | undefined {
  let first = Infinity, last = -Infinity;
  for (const s of l.read) {
    const a = l.facts.get(s.run)?.attempts.find((x) => x.attempt === s.attempt);
    if (!a || a.firstStep === null || a.lastStep === null) continue;
    first = Math.min(first, Math.max(s.from, a.firstStep));
    last = Math.max(last, Math.min(s.to - 1, a.lastStep));
  }
  return last >= first ? { first, last } : undefined;
}

/**
 * The answers of the requests (each with its `facts`), in their order; null
 * where the series reader is to read it alone (its read() answers it, or
 * throws what GET answers).
 */
export async function readSeriesBatch(reader: SeriesReader, store: BatchReads, project: string, qs: readonly SeriesRequest[], times: boolean): Promise<(SeriesAnswer | null)[]> {
  const out: (SeriesAnswer | null)[] = qs.map(() => null);
  let round: Pending[] = [];
  const tiers = TIER_WIDTHS;
  await Promise.all(qs.map(async (q, i) => {
    const mode = q.lineage ?? { kind: 'effective' };
    const lineage = await resolveLineage(q.run, q.facts!, mode);
    if (lineage.read.length === 0) return;
    const openFrom = q.from === undefined, openTo = q.to === undefined;
    const cached = openFrom || openTo ? reader.guess(q) : undefined;
    const guess = cached ?? (openFrom || openTo ? factsExtent(lineage) : undefined);
    if ((openFrom || openTo) && !guess) return;
    const f = q.from ?? guess!.first, t = q.to ?? guess!.last + 1;
    if (!(t > f)) return;
    round.push({ i, q, lineage, plan: planSeries(f, t, q.points, tiers), guessed: openFrom || openTo, openFrom, openTo });
  }));
  round.sort((a, b) => a.i - b.i);
  for (let pass = 0; pass < 2 && round.length; pass++) {
    const reads: ColumnsRead[] = round.map((p) => ({
      metric: p.q.metric, rank: p.q.rank, segs: p.lineage.read, bucket: p.plan.bucket, source: p.plan.source,
      ...(p.openFrom && p.guessed ? {} : { lo: p.plan.lo }), ...(p.openTo && p.guessed ? {} : { hi: p.plan.hi }),
    }));
    let columns: SeriesColumns[];
    try {
      columns = await store.lineage.seriesColumnsMany(project, reads, times);
    } catch (err) {
      // Past the time limit: each read alone, which answers its own 422.
      if (err instanceof ReadRefusedError && err.limit === 'read-time') break;
      throw err;
    }
    const again: Pending[] = [];
    round.forEach((p, k) => {
      const got = columns[k]!, n = got.x.length;
      if (n === 0) return; // the reader tells an empty range from a 404
      if (!p.guessed) { out[p.i] = { from: p.q.from!, to: p.q.to!, bucket: p.plan.bucket, tier: p.plan.source, columns: got }; return; }
      const first = got.firstStep[0]!, last = got.lastStep[n - 1]!;
      // As the reader keeps it: only an open end read unbounded tells the series' extent.
      const known = reader.guess(p.q);
      if (known) reader.remember(p.q, { first: p.openFrom ? first : known.first, last: p.openTo ? last : known.last });
      else if (p.openFrom && p.openTo) reader.remember(p.q, { first, last });
      let from = p.q.from ?? first, to = p.q.to ?? last + 1;
      if (p.openTo && to < from) to = from;
      if (p.openFrom && from > to) from = to;
      if (to <= from) { out[p.i] = { from, to, bucket: 1, tier: 0, columns: null }; return; }
      const actual = planSeries(from, to, p.q.points, tiers);
      if (actual.bucket === p.plan.bucket && actual.source === p.plan.source) {
        out[p.i] = { from, to, bucket: actual.bucket, tier: actual.source, columns: got };
      } else {
        again.push({ ...p, q: { ...p.q, from, to }, plan: actual, guessed: false });
      }
    });
    round = again;
  }
  return out;
}
