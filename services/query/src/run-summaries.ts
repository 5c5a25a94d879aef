// A run's metrics as the run detail answers them, from its series' effective
// summaries (lineage-reads.ts): one row per metric over its ranks.
import type { MetricSummaryRow, SeriesSummaryRow } from '@stepstream/storage';

/** One metric over its ranks; `last` is the value at the highest step, from the lowest rank holding it (rank -1, the run as a whole, first). */
export type MetricSummary = MetricSummaryRow;

/** The figures two summaries of disjoint points share. */
type Figures = Pick<SeriesSummaryRow, 'first_step' | 'last_step' | 'count' | 'nonfinite' | 'last' | 'min' | 'max'>;

/**
 * Adds the summary of other points to `into`: counts add, the last is the one
 * at the highest step (on a tie, the one already there), min/max over both.
 */
export function addSummary(into: Figures, r: Figures): void {
  into.count += r.count;
  into.nonfinite += r.nonfinite;
  into.first_step = Math.min(into.first_step, r.first_step);
  if (r.last_step > into.last_step) { into.last_step = r.last_step; into.last = r.last; }
  if (r.min !== null && (into.min === null || r.min < into.min)) into.min = r.min;
  if (r.max !== null && (into.max === null || r.max > into.max)) into.max = r.max;
}

/** Rows sorted by metric, then rank (as the store answers them). */
export function metricSummaries(rows: readonly SeriesSummaryRow[]): MetricSummary[] {
  const out: MetricSummary[] = [];
  let m: MetricSummary | undefined;
  for (const r of rows) {
    if (r.count === 0) continue;
    if (!m || m.name !== r.metric) {
      out.push((m = { name: r.metric, ranks: 0, first_step: r.first_step, last_step: r.last_step, count: 0, nonfinite: 0, last: r.last, min: null, max: null }));
    }
    m.ranks++;
    // Ranks come in order, so a tie of last steps keeps the lower rank's value.
    addSummary(m, r);
  }
  return out;
}
