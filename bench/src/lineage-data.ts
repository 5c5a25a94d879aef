// The data the lineage bench reads, each data set twice: as a run restarted
// from checkpoints (restart-plan.ts) and as the same effective history logged
// by a run never restarted. A superseded point (logged by an attempt past the
// step a later attempt owns) has another value than the effective one, so an
// answer that counted it would differ from the plain run's. Written through
// Store.write, the writer's own path, so every tier and summary is filled as
// in production; resume steps go in as the RunInfo a restarted client sends.
import { pino } from 'pino';
import { EmbeddedAdapter, Store, TIER_WIDTHS, tierTable, type RunInfoRecord, type SeriesRows } from '@stepstream/storage';
import { LossCurve } from './loss-curve.js';
import { ownedRange, type RestartPlan } from './restart-plan.js';

export const PROJECT = 'lineage';
export const LONG_METRIC = 'train/loss';
export const RUNS = { longRestarted: 'long-restarted', longPlain: 'long-plain', wideRestarted: 'wide-restarted', widePlain: 'wide-plain' } as const;
export const WIDE_RANKS = 64;
export const WIDE_METRICS = 32;
export const wideMetric = (m: number) => `layer${String(m).padStart(2, '0')}/grad_norm`;

/** Points per write set. */
const CHUNK = 1_000_000;
/** What a crashing attempt logged past the next one's start: a diverging loss, never the effective value. */
const SUPERSEDED = 1.25;

/** A series' steps [from, to) of one attempt: the effective values where it owns them, the superseded ones elsewhere. */
function attemptPiece(steps: Float64Array, values: Float64Array, lo: number, from: number, to: number, owned: [number, number]): { steps: Float64Array; values: Float64Array } {
  const v = values.slice(from - lo, to - lo);
  for (let s = from; s < to; s++) if (s < owned[0] || s >= owned[1]) v[s - from]! *= SUPERSEDED;
  return { steps: steps.subarray(from - lo, to - lo), values: v };
}

class WriteSets {
  private pending: SeriesRows[] = [];
  private points = 0;
  private token = 0;
  written = 0;

  constructor(private readonly store: Store) {}

  async add(run: string, metric: string, rank: number, attempt: number, steps: Float64Array, values: Float64Array): Promise<void> {
    if (steps.length === 0) return;
    this.pending.push({ project: PROJECT, run, metric, rank, attempt, steps, values, timeMs: new Float64Array(0), receivedMs: Date.now() });
    this.points += steps.length;
    if (this.points >= CHUNK) await this.flush();
  }

  async flush(): Promise<void> {
    if (!this.pending.length) return;
    await this.store.write({ token: `bench-lineage-${this.token++}`, series: this.pending, batches: [], runs: [] });
    this.written += this.points;
    this.pending = []; this.points = 0;
  }
}

/** The RunInfo rows: a name per run, and each restart's resume step under its attempt. */
function runInfos(restarted: { run: string; plan: RestartPlan }[], plain: string[]): RunInfoRecord[] {
  const info = (run: string, attempt: number, resumeStep: number | null): RunInfoRecord => ({
    project: PROJECT, run, attempt, version: attempt + 1, receivedMs: Date.now(), name: run, configJson: '', tags: [], status: 0,
    startedMs: 0, finishedMs: 0, meta: Object.create(null) as Record<string, string>, resumeStep, forkOf: '', forkStep: 0,
  });
  return [
    ...plain.map((run) => info(run, 0, null)),
    ...restarted.flatMap(({ run, plan }) => plan.attempts.map((a) => info(run, a.attempt, a.attempt === 0 ? null : a.start))),
  ];
}

/** The long series (one loss curve over the plan's steps), restarted and plain, ~1M steps at a time. */
async function writeLong(sets: WriteSets, plan: RestartPlan): Promise<number> {
  const curve = new LossCurve(plan.steps, 1, 1.9, 9, 0.45);
  for (let lo = 0; lo < plan.steps; lo += CHUNK) {
    const hi = Math.min(plan.steps, lo + CHUNK);
    const { steps, values } = curve.chunk(lo, hi - lo);
    for (const a of plan.attempts) {
      const from = Math.max(lo, a.start), to = Math.min(hi, a.end);
      if (to <= from) continue;
      const piece = attemptPiece(steps, values, lo, from, to, ownedRange(plan.attempts, a.attempt));
      await sets.add(RUNS.longRestarted, LONG_METRIC, -1, a.attempt, piece.steps, piece.values);
    }
    await sets.add(RUNS.longPlain, LONG_METRIC, -1, 0, steps, values);
  }
  return curve.nonfinite.size;
}

/** One wide series' values: a per-metric level, a slow wave per rank, one NaN. */
function wideSeries(m: number, rank: number, steps: number): { steps: Float64Array; values: Float64Array } {
  const s = new Float64Array(steps), v = new Float64Array(steps);
  const nanAt = (m * 7919 + rank * 104_729) % steps;
  for (let i = 0; i < steps; i++) {
    s[i] = i;
    v[i] = i === nanAt ? NaN : (1 + m) * (1 + 0.2 * Math.sin(i / 97 + rank)) + ((i * 2654435761) % 1000) / 1e5;
  }
  return { steps: s, values: v };
}

/** The wide run (every metric at every rank over the plan's steps), restarted and plain, series by series. */
async function writeWide(sets: WriteSets, plan: RestartPlan): Promise<void> {
  for (let m = 0; m < WIDE_METRICS; m++) {
    for (let rank = 0; rank < WIDE_RANKS; rank++) {
      const { steps, values } = wideSeries(m, rank, plan.steps);
      for (const a of plan.attempts) {
        const piece = attemptPiece(steps, values, 0, a.start, a.end, ownedRange(plan.attempts, a.attempt));
        await sets.add(RUNS.wideRestarted, wideMetric(m), rank, a.attempt, piece.steps, piece.values);
      }
      await sets.add(RUNS.widePlain, wideMetric(m), rank, 0, steps, values);
    }
  }
}

export interface LineageData { seconds: number; points: number; longNonfinite: number }

/** Writes both data sets into a fresh store in `dir`, then merges every table (as a finished run's history is). */
export async function writeLineageData(dir: string, long: RestartPlan, wide: RestartPlan): Promise<LineageData> {
  const store = new Store(await EmbeddedAdapter.open({ path: dir }), 'stepstream', pino({ level: 'silent' }));
  const t0 = performance.now();
  try {
    await store.migrate();
    await store.write({ token: 'bench-lineage-runs', series: [], batches: [], runs: runInfos(
      [{ run: RUNS.longRestarted, plan: long }, { run: RUNS.wideRestarted, plan: wide }], [RUNS.longPlain, RUNS.widePlain]) });
    const sets = new WriteSets(store);
    const longNonfinite = await writeLong(sets, long);
    await writeWide(sets, wide);
    await sets.flush();
    // NOTE: as query-data.ts: merge now rather than measure the minutes right after a bulk load.
    for (const table of ['points', ...TIER_WIDTHS.map(tierTable), 'summaries', 'run_attempts']) {
      await store.adapter.command(`OPTIMIZE TABLE stepstream.${table} FINAL`);
    }
    return { seconds: (performance.now() - t0) / 1000, points: sets.written, longNonfinite };
  } finally {
    await store.close();
  }
}
