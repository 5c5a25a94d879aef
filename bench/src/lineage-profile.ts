// Where the lineage bench's reads spend their time, in-process (no HTTP): each
// read of the restarted runs next to the plain run's, then each level of the
// restarted read's UNION ALL (segments.ts) alone, with and without the
// per-row segment look-up, and the engine's index use (EXPLAIN indexes = 1).
//   node bench/dist/lineage-profile.js [--data=DIR] [--full]
// DIR keeps the data between profiles (written there unless it holds a store already).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { DEFAULT_READ_LIMITS, EmbeddedAdapter, Store, TIER_WIDTHS, segmentUnion, type ReadSegment, type SegmentGrouping, type SegmentFilter } from '@stepstream/storage';
import { planSeries } from '@stepstream/query';
import { LONG_METRIC, PROJECT, RUNS, writeLineageData } from './lineage-data.js';
import { lineagePlans } from './lineage.js';
import { stats, timeIt } from './timing.js';
// NOTE: the rule is the query side's, not part of its public entry.
import { resolveLineage } from '../../services/query/dist/lineage.js';

const full = process.argv.includes('--full');
const given = process.argv.find((a) => a.startsWith('--data='))?.slice(7);
const dir = given ?? mkdtempSync(join(tmpdir(), 'ss-lineage-profile-'));
const REPS = 9;

const ms = async (f: () => Promise<unknown>, reps = REPS) => stats(await timeIt(reps, 1, f)).p50.toFixed(1).padStart(8);

try {
  if (!existsSync(join(dir, 'metadata'))) {
    const plans = lineagePlans(!full);
    process.stdout.write(`writing the lineage bench's data into ${dir} …\n`);
    await writeLineageData(dir, plans.long, plans.wide);
  }
  // The read limit raised as the bench raises the server's: a slow read is timed, not refused.
  const store = new Store(await EmbeddedAdapter.open({ path: dir }), 'stepstream', pino({ level: 'silent' }), { ...DEFAULT_READ_LIMITS, readTimeoutMs: 600_000 });
  try {
    const segs = async (run: string) => (await resolveLineage(run, (runs) => store.lineage.facts(PROJECT, runs))).read;
    /** Each level of the UNION ALL alone: its time and rows, and a count() of its rows with and without the per-row segment look-up. */
    const levels = async (what: string, read: readonly ReadSegment[], top: number, group: SegmentGrouping, filter: SegmentFilter, range: { lo?: number; hi?: number }, reps = REPS) => {
      const params = {};
      const parts = segmentUnion(store.db, read, top, group, filter, params, range).split('\nUNION ALL\n');
      for (const part of parts) {
        const table = /FROM \S+\.(\w+)/.exec(part)![1]!;
        const where = part.slice(part.indexOf('WHERE ') + 6);
        const counted = `SELECT count() AS n FROM ${store.db}.${table} WHERE `;
        // The per-row segment look-up, where a level has one (else its WHERE is keys and step windows only).
        const lookUp = where.indexOf(' AND (indexOf(');
        const allConditions = counted + where, keysOnly = lookUp < 0 ? allConditions : counted + where.slice(0, lookUp);
        const sql = `SELECT count() AS n, sum(c_) AS points FROM (${part})`;
        const run = (q: string) => () => store.adapter.query(q, { project: PROJECT, ...params });
        const [row] = await store.adapter.query<{ n: number; points: number }>(sql, { project: PROJECT, ...params });
        const explain = await store.adapter.query<Record<string, string>>(`EXPLAIN indexes = 1 ${keysOnly}`, { project: PROJECT, ...params });
        const granules = explain.map((r) => Object.values(r)[0]!).filter((l) => /Granules:/.test(l)).at(-1)?.trim() ?? '';
        process.stdout.write(`  ${what}, level ${table.padEnd(13)} ${await ms(run(sql), reps)} ms → ${row?.n} rows, ${row?.points} points; ${granules}\n` +
          `    count() of its rows: ${(await ms(run(allConditions), reps)).trim()} ms` +
          (lookUp < 0 ? ' (no segment look-up)\n' : `; without the segment look-up (keys and step windows only): ${(await ms(run(keysOnly), reps)).trim()} ms\n`));
      }
    };

    process.stdout.write('\n## run detail (summaries of every series over the effective segments), p50 ms\n');
    const widePlain = await segs(RUNS.widePlain), wideRestarted = await segs(RUNS.wideRestarted);
    process.stdout.write(`  plain: ${await ms(() => store.lineage.summaries(PROJECT, widePlain))} ms; restarted: ${await ms(() => store.lineage.summaries(PROJECT, wideRestarted), 3)} ms\n`);
    const cut = wideRestarted.filter((s) => s.wideFrom > -(2 ** 62) || s.wideTo < 2 ** 62);
    process.stdout.write(`  the restarted run's ${cut.length} cut segments, level by level:\n`);
    await levels('run detail', cut, TIER_WIDTHS[TIER_WIDTHS.length - 1]!, 'series', {}, {}, 3);

    const steps = lineagePlans(!full).long.steps;
    const longPlain = await segs(RUNS.longPlain), longRestarted = await segs(RUNS.longRestarted);
    for (const [label, from, to] of [['full range', 0, steps], ['2,500,000 steps', 4_000_000, 6_500_000], ['1,000,000 steps around a restart', 4_500_000, 5_500_000]] as const) {
      const plan = planSeries(from, to, 1000, TIER_WIDTHS);
      const q = { project: PROJECT, metric: LONG_METRIC, rank: -1, bucket: plan.bucket, source: plan.source, lo: plan.lo, hi: plan.hi };
      process.stdout.write(`\n## 1000-point view, ${label} (bucket ${plan.bucket}, tier ${plan.source}), p50 ms\n`);
      process.stdout.write(`  plain: ${await ms(() => store.lineage.seriesColumns(q, longPlain))} ms; restarted: ${await ms(() => store.lineage.seriesColumns(q, longRestarted))} ms\n`);
      await levels('restarted', longRestarted, plan.source, { bucket: plan.bucket }, { metric: LONG_METRIC, rank: -1 }, { lo: plan.lo, hi: plan.hi });
    }
  } finally {
    await store.close();
  }
} finally {
  if (!given) rmSync(dir, { recursive: true, force: true });
}
