// The shapes the read API answers (docs/api.md), as the dashboard uses them.

/** Non-finite numbers travel as the strings "NaN", "Infinity", "-Infinity". */
export type Wire = number | 'NaN' | 'Infinity' | '-Infinity' | null;

export interface ErrorBody { statusCode: number; code: string; error: string; message: string; details?: Record<string, unknown> }

export interface Project { name: string; runs: number; last_ingest_ms: number | null }

export interface MetricSummary { last: Wire; min: Wire; max: Wire }

export interface Run {
  id: string;
  name: string | null;
  status: string;
  tags: string[] | null;
  config: Record<string, unknown> | null;
  meta: Record<string, string> | null;
  started_ms: number | null;
  finished_ms: number | null;
  last_step: number | null;
  metric_count: number;
  attempts: number;
  fork_of: { run: string; step: number } | null;
  /** With `summary=M1,M2`: those metrics' figures. */
  summary?: Record<string, MetricSummary | null>;
}

export interface RunPage { runs: Run[]; next_cursor?: string | null }

export interface RunMetric {
  name: string; ranks: number; first_step: number; last_step: number; count: number; nonfinite: number; last: Wire; min: Wire; max: Wire;
}
export interface RunDetail extends Run { metrics: RunMetric[] }

export interface Series {
  metric: string; rank: number; from: number; to: number; bucket: number; tier: number;
  x: number[]; min: Wire[]; max: Wire[]; mean: Wire[]; first: Wire[]; last: Wire[]; count: number[]; nonfinite: number[];
  time_first?: (number | null)[]; time_last?: (number | null)[];
}

export interface SeriesQuery { run: string; metric: string; rank?: number; attempt?: number }
export interface SeriesRequest { queries: SeriesQuery[]; from?: number; to?: number; points?: number; x?: 'step' | 'time' }
/** One entry of a batch answer: the series, or the error GET would have answered. */
export type SeriesEntry = Series | ErrorBody;

export function isError(e: SeriesEntry): e is ErrorBody {
  return (e as ErrorBody).code !== undefined && (e as Series).x === undefined;
}

export function num(v: Wire | undefined): number | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return v;
  return v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : -Infinity;
}
