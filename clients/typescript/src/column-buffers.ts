// The in-memory side of log(): one growable column triple (steps, values,
// times) per metric. Appending is a few typed-array stores; nothing is
// encoded or allocated on the call except when a column doubles.
import { BadValueError } from './errors.js';
import type { SeriesInput } from './types.js';

const METRIC_NAME = /^[A-Za-z0-9_./-]{1,200}$/;
const INITIAL_CAPACITY = 64;

class Column {
  steps: Float64Array;
  values: Float64Array;
  times: Float64Array;
  n = 0;

  constructor(capacity: number) {
    this.steps = new Float64Array(capacity);
    this.values = new Float64Array(capacity);
    this.times = new Float64Array(capacity);
  }

  grow(): void {
    const capacity = this.steps.length * 2;
    const steps = new Float64Array(capacity); steps.set(this.steps); this.steps = steps;
    const values = new Float64Array(capacity); values.set(this.values); this.values = values;
    const times = new Float64Array(capacity); times.set(this.times); this.times = times;
  }
}

/** Says what is wrong with a value, or undefined when it is a number log() can take. */
function valueProblem(v: unknown): string | undefined {
  if (typeof v === 'number' || typeof v === 'bigint') return undefined;
  if (v === null || v === undefined) return `${String(v)}`;
  if (typeof v === 'string') return `a string (${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)})`;
  if (typeof v === 'boolean') return `a boolean (${v})`;
  const ctor = (v as { constructor?: { name?: string } }).constructor?.name;
  return `${ctor ? `a ${ctor}` : `an ${typeof v}`}`;
}

export class ColumnBuffers {
  private readonly columns = new Map<string, Column>();
  /** Points buffered since the last drain. */
  points = 0;

  constructor(private readonly rank: number) {}

  /**
   * Appends one step of metrics. All-or-nothing: every name and value is
   * checked before anything is stored, so a rejected call leaves no trace.
   */
  append(metrics: Readonly<Record<string, unknown>>, step: number, timeMs: number): void {
    if (typeof metrics !== 'object' || metrics === null || Array.isArray(metrics)) {
      throw new BadValueError(`stepstream: log() takes an object of metric name → number, got ${valueProblem(metrics) ?? typeof metrics}`);
    }
    let count = 0;
    for (const name in metrics) {
      const v = metrics[name];
      const problem = valueProblem(v);
      if (problem !== undefined) {
        throw new BadValueError(`stepstream: metric "${name}" has a non-numeric value: ${problem}; log() takes numbers only (NaN and Infinity are fine)`, name);
      }
      if (!this.columns.has(name) && !METRIC_NAME.test(name)) {
        throw new BadValueError(`stepstream: metric name "${name.slice(0, 220)}" is not allowed; names match [A-Za-z0-9_./-]{1,200}`, name);
      }
      count++;
    }
    for (const name in metrics) {
      let col = this.columns.get(name);
      if (col === undefined) { col = new Column(INITIAL_CAPACITY); this.columns.set(name, col); }
      if (col.n === col.steps.length) col.grow();
      const v = metrics[name];
      col.steps[col.n] = step;
      col.values[col.n] = typeof v === 'number' ? v : Number(v);
      col.times[col.n] = timeMs;
      col.n++;
    }
    this.points += count;
  }

  /**
   * Hands the buffered points over as series (views on the old columns,
   * which are then replaced, not reused) and starts empty ones of the same size.
   */
  drain(): SeriesInput[] {
    const series: SeriesInput[] = [];
    for (const [metric, col] of this.columns) {
      if (col.n === 0) continue;
      series.push({ metric, rank: this.rank, steps: col.steps.subarray(0, col.n), values: col.values.subarray(0, col.n), timeMs: col.times.subarray(0, col.n) });
      const capacity = col.steps.length;
      col.steps = new Float64Array(capacity);
      col.values = new Float64Array(capacity);
      col.times = new Float64Array(capacity);
      col.n = 0;
    }
    this.points = 0;
    return series;
  }
}
