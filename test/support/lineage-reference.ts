// The run lineage rule of issue 11 in plain TypeScript: each attempt's start,
// the owner of a step, a fork's parent chain (cut at a loop or past 16
// parents), a run's effective points and its GET /runs/:run/lineage answer.
// Written from the text alone; every read is checked against it.

/** A point as stored: superseded or not, every point sent (a retry once). */
export interface StoredPoint { run: string; attempt: number; metric: string; rank: number; step: number; value: number; timeMs?: number }

export interface ForkOf { run: string; step: number }

/** What a run's RunInfo declared: each attempt's last resume_step received, and the first fork_of kept. */
export interface RunLineageInfo { resumeSteps: Map<number, number>; forkOf?: ForkOf }

/** Following more parents than this cuts the chain ("too deep"). */
export const MAX_PARENTS = 16;

export type Cut = null | 'loop' | 'too deep';

export interface AttemptView { attempt: number; start_step: number; first_step: number | null; last_step: number | null; points: number }
export interface Segment { run: string; attempt: number; from: number; to: number | null }
export interface LineageAnswer { run: string; fork_of: ForkOf | null; cut: Cut; attempts: AttemptView[]; segments: Segment[] }

/** Which points a read answers over: the effective history, one attempt's points, or a fork's own history. */
export type PointSelection = { kind: 'effective' } | { kind: 'attempt'; attempt: number } | { kind: 'own' };

/** The highest attempt whose start is at or below `step`; undefined when no attempt starts that low. */
export function ownerAt(starts: ReadonlyMap<number, number>, step: number): number | undefined {
  let owner: number | undefined;
  for (const [attempt, start] of starts) if (start <= step && (owner === undefined || attempt > owner)) owner = attempt;
  return owner;
}

export class LineageReference {
  private readonly byRun = new Map<string, StoredPoint[]>();
  private readonly effectiveMemo = new Map<string, StoredPoint[]>();

  constructor(points: readonly StoredPoint[], private readonly info: ReadonlyMap<string, RunLineageInfo>) {
    for (const p of points) {
      let list = this.byRun.get(p.run);
      if (!list) this.byRun.set(p.run, (list = []));
      list.push(p);
    }
  }

  /** Runs that exist: points stored or a RunInfo received. A parent never sent does not. */
  runIds(): string[] {
    return [...new Set([...this.byRun.keys(), ...this.info.keys()])].sort();
  }

  /** Every point stored for the run, any attempt, in the order received. */
  stored(run: string): StoredPoint[] {
    return this.byRun.get(run) ?? [];
  }

  /** Rule 1: each attempt's start, in attempt order: its last resume_step, else its lowest stored step. */
  starts(run: string): Map<number, number> {
    const lowest = new Map<number, number>();
    for (const p of this.stored(run)) lowest.set(p.attempt, Math.min(p.step, lowest.get(p.attempt) ?? Infinity));
    for (const [attempt, step] of this.info.get(run)?.resumeSteps ?? []) lowest.set(attempt, step);
    return new Map([...lowest].sort((a, b) => a[0] - b[0]));
  }

  /** The parent this run is served with (null when it has none or its chain is cut), and the cut. */
  parentOf(run: string): { parent: ForkOf | null; cut: Cut } {
    const declared = this.info.get(run)?.forkOf;
    if (!declared) return { parent: null, cut: null };
    const met = new Set([run]);
    let parents = 0;
    for (let at: string | undefined = declared.run; at !== undefined; at = this.info.get(at)?.forkOf?.run) {
      if (met.has(at)) return { parent: null, cut: 'loop' };
      if (++parents > MAX_PARENTS) return { parent: null, cut: 'too deep' };
      met.add(at);
    }
    return { parent: declared, cut: null };
  }

  /** Rules 1 and 2 over the run's own attempts, at every step (rule 3 not applied): `?lineage=own`. */
  ownEffective(run: string): StoredPoint[] {
    const starts = this.starts(run);
    return this.stored(run).filter((p) => ownerAt(starts, p.step) === p.attempt);
  }

  /** Rules 1-3: the parent's effective points below the fork step, then the run's own from it. */
  effective(run: string): StoredPoint[] {
    const memo = this.effectiveMemo.get(run);
    if (memo) return memo;
    const { parent } = this.parentOf(run);
    const own = this.ownEffective(run).filter((p) => !parent || p.step >= parent.step);
    const inherited = parent ? this.effective(parent.run).filter((p) => p.step < parent.step) : [];
    const all = [...inherited, ...own];
    this.effectiveMemo.set(run, all);
    return all;
  }

  /** The points a read answers over, for one selection. */
  select(run: string, selection: PointSelection): StoredPoint[] {
    if (selection.kind === 'effective') return this.effective(run);
    if (selection.kind === 'own') return this.ownEffective(run);
    return this.stored(run).filter((p) => p.attempt === selection.attempt);
  }

  /** The run's own attempts in attempt order, over all their stored points (superseded included). */
  attempts(run: string): AttemptView[] {
    const points = this.stored(run);
    return [...this.starts(run)].map(([attempt, start]) => {
      const mine = points.filter((p) => p.attempt === attempt);
      // NOTE: a loop, not Math.min(...steps): a spread of a million steps overflows the stack.
      let first: number | null = null, last: number | null = null;
      for (const p of mine) {
        if (first === null || p.step < first) first = p.step;
        if (last === null || p.step > last) last = p.step;
      }
      return { attempt, start_step: start, points: mine.length, first_step: first, last_step: last };
    });
  }

  /** Maximal step ranges each owned by one of the run's own attempts (rules 1 and 2), the last open. */
  ownSegments(run: string): Segment[] {
    const starts = this.starts(run);
    const bounds = [...new Set(starts.values())].sort((a, b) => a - b);
    const out: Segment[] = [];
    for (const from of bounds) {
      const attempt = ownerAt(starts, from)!;
      const prev = out.at(-1);
      if (prev && prev.attempt === attempt) continue;
      if (prev) prev.to = from;
      out.push({ run, attempt, from, to: null });
    }
    return out;
  }

  /** The effective history in step order: the parent's segments below the fork step, then the run's own from it. */
  segments(run: string): Segment[] {
    const { parent } = this.parentOf(run);
    const own = this.ownSegments(run);
    if (!parent) return own;
    const F = parent.step;
    const inherited = this.segments(parent.run)
      .filter((s) => s.from < F)
      .map((s) => ({ ...s, to: s.to === null || s.to > F ? F : s.to }));
    const mine = own
      .filter((s) => s.to === null || s.to > F)
      .map((s) => ({ ...s, from: Math.max(s.from, F) }));
    return [...inherited, ...mine];
  }

  /** GET /runs/:run/lineage. */
  lineage(run: string): LineageAnswer {
    return { run, fork_of: this.info.get(run)?.forkOf ?? null, cut: this.parentOf(run).cut, attempts: this.attempts(run), segments: this.segments(run) };
  }

  /** The fork_of the run declared (shown even when its chain is cut), or null. */
  declaredForkOf(run: string): ForkOf | null {
    return this.info.get(run)?.forkOf ?? null;
  }
}
