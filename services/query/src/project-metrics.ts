// Every metric of a project with the number of runs that have effective
// points of it: what a metric picker lists. A run that never restarted or
// forked (isPlain) counts from the stored summaries, all such runs in one
// read; the others over their effective history: the attempts they keep
// whole in one read for all of them, the cut ones from the cache of cut
// summaries (effective-summaries.ts), which a finished attempt keeps hitting.
import { wholeAttempt, type LineageReads, type ReadSegment, type Reads } from '@stepstream/storage';
import type { EffectiveSummaries } from './effective-summaries.js';
import { isPlain, resolveLineage } from './lineage.js';

export interface MetricRuns { name: string; runs: number }

export interface ProjectMetricReads {
  reads: Pick<Reads, 'metricRuns'>;
  lineage: Pick<LineageReads, 'facts' | 'attemptMetrics'>;
  summaries: Pick<EffectiveSummaries, 'cut'>;
}

const attemptKey = (s: { run: string; attempt: number }) => `${s.run}\u0000${s.attempt}`;

/** Sorted by name; empty for a project without points (or without the project). */
export async function projectMetrics(project: string, deps: ProjectMetricReads): Promise<MetricRuns[]> {
  const facts = await deps.lineage.facts(project, null);
  const lineaged = [...facts.values()].filter((f) => !isPlain(f)).map((f) => f.run);
  // NOTE: a run that appears after the facts were read is counted as plain
  // (it is new: one attempt so far, or its restart is read next time).
  const counts = new Map((await deps.reads.metricRuns(project, lineaged)).map((m) => [m.metric, m.runs]));
  if (lineaged.length === 0) return sorted(counts);

  // A parent is a run of the same project: its facts were read above.
  const known = async (runs: readonly string[]) => new Map(runs.flatMap((r) => { const f = facts.get(r); return f ? [[r, f] as const] : []; }));
  const lineages = await Promise.all(lineaged.map((run) => resolveLineage(run, known)));
  const whole = new Map<string, ReadSegment>();
  for (const l of lineages) for (const s of l.read) if (wholeAttempt(s)) whole.set(attemptKey(s), s);
  const wholeMetrics = await deps.lineage.attemptMetrics(project, [...whole.values()]);
  for (const l of lineages) {
    const names = new Set<string>();
    for (const s of l.read) {
      if (wholeAttempt(s)) for (const m of wholeMetrics.get(attemptKey(s)) ?? []) names.add(m);
      else for (const rows of await deps.summaries.cut(project, l, [s])) for (const r of rows) if (r.count > 0) names.add(r.metric);
    }
    for (const m of names) counts.set(m, (counts.get(m) ?? 0) + 1);
  }
  return sorted(counts);
}

function sorted(counts: Map<string, number>): MetricRuns[] {
  return [...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, runs]) => ({ name, runs }));
}
