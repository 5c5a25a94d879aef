// Restarted and forked runs read ahead of their first view. The first read of
// such a run's whole history computes its cut attempts' summaries (up to each
// cut: the tiers, and raw points beside the cut), which for a run of 79M
// points is most of a second, then keeps them (effective-summaries.ts). The
// warmer does that first read in the background once the points are stored,
// so the first person to open the run does not wait for it.
//
// Every `everyMs` it reads each project's stored point count (a few rows per
// run); in a project whose count moved since it last looked, it resolves the
// runs that are not plain (one facts read for all of them) and warms those
// whose summaries are not kept and whose cut attempts did not change since
// the round before, at most `maxRuns` a round and for about `roundMs` (the
// read under way finishes), and only while the
// cache is less than half full (what it warms is never pushed out by what it
// warms next). A project is looked at again the next round until everything
// in it was kept.
import { Counter, type Logger, type Registry } from '@stepstream/runtime';
import type { Store } from '@stepstream/storage';
import type { EffectiveSummaries } from './effective-summaries.js';
import { resolveLineage, unplainRuns } from './lineage.js';

export interface WarmerOptions {
  /** How often it looks (ms). */
  everyMs: number;
  /** Runs it warms at most in one round (the others wait for the next). */
  maxRuns: number;
  /** Time a round may spend warming before it leaves the rest to the next (ms; the read under way finishes). */
  roundMs: number;
}

/** Runs whose settling the warmer follows at most (past it, it starts over: they are warmed a round later). */
const MAX_SETTLING = 10_000;

export const DEFAULT_WARMER: WarmerOptions = { everyMs: 2_000, maxRuns: 8, roundMs: 1_000 };

export class SummaryWarmer {
  /** Each project's point count when everything in it was last found kept. */
  private readonly seen = new Map<string, number>();
  /** Each run not warm yet: what it would be warmed for, as last seen (it is warmed when a round sees the same again). */
  private readonly settling = new Map<string, string>();
  private timer: NodeJS.Timeout | null = null;
  private round: Promise<void> | null = null;
  private closed = false;
  private readonly runs?: Counter<'kept'>;
  private readonly rounds?: Counter;

  constructor(
    private readonly store: Pick<Store, 'reads' | 'runList' | 'lineage' | 'line'>,
    private readonly summaries: EffectiveSummaries,
    private readonly log: Logger,
    private readonly opts: WarmerOptions = DEFAULT_WARMER,
    registry?: Registry,
  ) {
    if (registry) {
      this.rounds = new Counter({ name: 'stepstream_read_ahead_rounds_total', help: 'Rounds of looking for restarted and forked runs to read ahead, ended', registers: [registry] });
      this.runs = new Counter({ name: 'stepstream_runs_read_ahead_total', help: 'Restarted and forked runs read ahead of their first view, by whether what was read was kept', labelNames: ['kept'], registers: [registry] });
      new Counter({
        name: 'stepstream_cut_summary_reads_total', help: "Reads of cut attempts' summaries the cache had not kept (by a request or read ahead)", registers: [registry],
        collect() { this.reset(); this.inc(summaries.cutReads); },
      });
    }
  }

  start(): void {
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => { if (!this.round) this.round = this.once().finally(() => { this.round = null; }); }, this.opts.everyMs);
    this.timer.unref();
  }

  /** Stops looking; waits for the round under way. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.round;
  }

  /**
   * One round, its reads made ahead of any request (engine-scheduler.ts
   * readAhead: they never hold a project's share of the engine, so the
   * project's views run beside them). Never throws: a failed round is
   * logged and tried again.
   */
  async once(): Promise<void> {
    await this.store.line.readAhead(() => this.lookAndWarm());
  }

  private async lookAndWarm(): Promise<void> {
    try {
      const until = performance.now() + this.opts.roundMs;
      let budget = this.opts.maxRuns;
      for (const [project, points] of await this.store.reads.projectPoints()) {
        if (this.closed) return;
        if (budget <= 0 || performance.now() > until) break;
        if (this.seen.get(project) === points) continue;
        const { done, warmed } = await this.warmProject(project, budget, until);
        budget -= warmed;
        if (done) this.seen.set(project, points);
      }
      this.rounds?.inc();
    } catch (err) {
      this.log.warn({ err }, 'reading restarted runs ahead failed; trying again next round');
    }
  }

  /** Warms up to `budget` runs of the project; done when every unplain run's summaries are kept. */
  private async warmProject(project: string, budget: number, until: number): Promise<{ done: boolean; warmed: number }> {
    const { runs, facts } = await unplainRuns(this.store, project);
    // NOTE: the facts of the unplain runs were read at once; a parent among them is not read again.
    const fetch = async (wanted: readonly string[]) => (wanted.every((r) => facts.has(r))
      ? new Map(wanted.map((r) => [r, facts.get(r)!]))
      : this.store.lineage.facts(project, wanted));
    let warmed = 0, done = true;
    for (const run of runs) {
      if (this.closed) return { done: false, warmed };
      if (warmed >= budget || performance.now() > until) return { done: false, warmed };
      const t0 = performance.now();
      const l = await resolveLineage(run, fetch);
      const id = `${project}\u0000${run}`;
      if (this.summaries.isWarm(project, l)) { this.settling.delete(id); continue; }
      if (!this.summaries.hasRoom()) return { done: true, warmed };
      // NOTE: only once its cut attempts stood still for a round: while one is
      // still being written, what would be read now is stale by the next.
      const key = this.summaries.warmKey(project, l), was = this.settling.get(id);
      if (this.settling.size >= MAX_SETTLING) this.settling.clear();
      this.settling.set(id, key);
      if (was !== key) { done = false; continue; }
      const kept = await this.summaries.warm(project, l);
      warmed++;
      this.runs?.inc({ kept: String(kept) });
      done &&= kept;
      this.log.debug({ project, run, ms: Math.round(performance.now() - t0), kept }, 'read a restarted run ahead');
    }
    return { done, warmed };
  }
}
