// The lineage rule (docs/api.md, "The effective history"): which (run,
// attempt) owns each step of a run, resolved from the stored facts of the run
// and of the runs it was forked from. Pure but for the fetch of facts; every
// read of the query side answers over the segments resolved here.
import { OPEN_STEP, type AttemptFacts, type ReadSegment, type RunFacts, type Store } from '@stepstream/storage';

/** Parents followed at most; a longer chain is served as if the run had none. */
export const MAX_PARENTS = 16;

/** A maximal step range [from, to) owned by one attempt of one run; `to` null: open. */
export interface Segment { run: string; attempt: number; from: number; to: number | null }

export type LineageCut = null | 'loop' | 'too deep';

export interface Lineage {
  run: string;
  forkOf: { run: string; step: number } | null;
  cut: LineageCut;
  /** The run's own attempts, in attempt order. */
  attempts: AttemptFacts[];
  /** The effective history in step order. */
  segments: Segment[];
  /** The segments as the store reads them (attempts without points left out). */
  read: ReadSegment[];
  /** Stored points of each attempt met, by `run NUL attempt`, as read when the lineage was resolved. */
  points: Map<string, number>;
  /** The facts of every run met. */
  facts: Map<string, RunFacts>;
}

/** Which points a read answers over: the effective history, one attempt's every point, or a fork's own history. */
export type LineageMode = { kind: 'effective' } | { kind: 'attempt'; attempt: number } | { kind: 'own' };

/** The store's lineage facts of some runs of one project. */
export type FetchFacts = (runs: readonly string[]) => Promise<Map<string, RunFacts>>;

export const startOf = (a: AttemptFacts): number | null => a.resumeStep ?? a.firstStep;

/** A run with one attempt that declared no resume step and no fork: every point it stored counts, so its stored summaries are its effective ones. */
export const isPlain = (f: RunFacts | undefined): boolean => !f || (f.attempts.length <= 1 && !f.forkOf && f.attempts.every((a) => a.resumeStep === null));

/** The project's runs whose stored summaries are not their effective ones, with the facts read of them (one read for all). */
export async function unplainRuns(store: Pick<Store, 'runList' | 'lineage'>, project: string): Promise<{ runs: string[]; facts: Map<string, RunFacts> }> {
  const candidates = await store.runList.unplainCandidates(project);
  if (candidates.length === 0) return { runs: [], facts: new Map() };
  const facts = await store.lineage.facts(project, candidates);
  return { runs: candidates.filter((r) => !isPlain(facts.get(r))), facts };
}

/** Rules 1 and 2 over a run's own attempts: each owns from its start to the next higher attempt's lowest start. */
export function ownSegments(facts: RunFacts | undefined): Segment[] {
  if (!facts) return [];
  const out: Segment[] = [];
  let to: number | null = null;
  for (const a of [...facts.attempts].reverse()) {
    const start = startOf(a);
    if (start === null) continue;
    if (to === null || start < to) out.push({ run: facts.run, attempt: a.attempt, from: start, to });
    to = to === null ? start : Math.min(to, start);
  }
  return out.reverse();
}

function clip(segs: readonly Segment[], lo: number | null, hi: number | null): Segment[] {
  const out: Segment[] = [];
  for (const s of segs) {
    const from = lo === null ? s.from : Math.max(s.from, lo);
    const to = hi === null ? s.to : s.to === null ? hi : Math.min(s.to, hi);
    if (to === null || from < to) out.push({ ...s, from, to });
  }
  return out;
}

/** The run's lineage, following its parents (rule 3). */
export async function resolveLineage(run: string, fetch: FetchFacts, mode: LineageMode = { kind: 'effective' }): Promise<Lineage> {
  const facts = new Map(await fetch([run]));
  const own = facts.get(run);
  const forkOf = own?.forkOf ?? null;
  const chain = [run];
  /** The fork step of each run of the chain but the oldest. */
  const steps = [forkOf?.step ?? 0];
  let cut: LineageCut = null;
  // NOTE: one small read per parent (its facts name its own parent), so a
  // read holds the chain it follows and nothing else of the project.
  for (let parent = forkOf?.run; parent !== undefined && mode.kind === 'effective'; ) {
    if (chain.includes(parent)) { cut = 'loop'; break; }
    if (chain.length > MAX_PARENTS) { cut = 'too deep'; break; }
    chain.push(parent);
    if (!facts.has(parent)) for (const [k, v] of await fetch([parent])) facts.set(k, v);
    const next = facts.get(parent)?.forkOf;
    steps.push(next?.step ?? 0);
    parent = next?.run;
  }
  let segments: Segment[];
  if (mode.kind === 'attempt') {
    segments = own?.attempts.some((a) => a.attempt === mode.attempt) ? [{ run, attempt: mode.attempt, from: -OPEN_STEP, to: null }] : [];
  } else if (mode.kind === 'own' || cut !== null || chain.length === 1) {
    segments = ownSegments(own);
  } else {
    // From the oldest ancestor down: each run's history is its parent's below its fork step, then its own.
    segments = ownSegments(facts.get(chain[chain.length - 1]!));
    for (let i = chain.length - 2; i >= 0; i--) {
      const step = steps[i]!;
      segments = [...clip(segments, null, step), ...clip(ownSegments(facts.get(chain[i]!)), step, null)];
    }
  }
  const points = new Map<string, number>();
  for (const f of facts.values()) for (const a of f.attempts) points.set(`${f.run}\u0000${a.attempt}`, a.points);
  return { run, forkOf, cut, attempts: own?.attempts ?? [], segments, read: readSegments(segments, facts), points, facts };
}

/** The lineage's segments as the store reads them within [from, to) only: a window's effective points. */
export function windowSegments(l: Lineage, from: number | undefined, to: number | undefined): ReadSegment[] {
  if (from === undefined && to === undefined) return l.read;
  return readSegments(clip(l.segments, from ?? null, to ?? null), l.facts);
}

/** Each segment widened where its attempt has no points (segments.ts); attempts without points are left out. */
function readSegments(segs: readonly Segment[], facts: Map<string, RunFacts>): ReadSegment[] {
  const out: ReadSegment[] = [];
  for (const s of segs) {
    const a = facts.get(s.run)?.attempts.find((x) => x.attempt === s.attempt);
    if (!a || a.points === 0 || a.firstStep === null || a.lastStep === null) continue;
    const to = s.to ?? OPEN_STEP;
    out.push({
      run: s.run, attempt: s.attempt, from: s.from, to,
      wideFrom: a.firstStep >= s.from ? -OPEN_STEP : s.from,
      wideTo: a.lastStep < to ? OPEN_STEP : to,
      points: a.points,
      steps: [a.firstStep, a.lastStep],
    });
  }
  return out;
}
