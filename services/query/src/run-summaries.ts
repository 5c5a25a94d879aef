// A run's metrics as the run detail answers them, from its series' effective
// summaries (lineage-reads.ts): one row per metric over its ranks.
import type { SeriesSummaryRow } from '@stepstream/storage';

export interface MetricSummary {
  name: string;
  ranks: number;
  first_step: number;
  last_step: number;
  count: number;
  nonfinite: number;
  /** The value at the highest step, from the lowest rank holding it (rank -1, the run as a whole, first). */
  last: number;
  min: number | null;
  max: number | null;
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
    m.count += r.count;
    m.nonfinite += r.nonfinite;
    m.first_step = Math.min(m.first_step, r.first_step);
    // Ranks come in order, so a tie keeps the lower rank's value.
    if (r.last_step > m.last_step) { m.last_step = r.last_step; m.last = r.last; }
    if (r.min !== null && (m.min === null || r.min < m.min)) m.min = r.min;
    if (r.max !== null && (m.max === null || r.max > m.max)) m.max = r.max;
  }
  return out;
}
