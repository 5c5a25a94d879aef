// Printing a table and writing JSON: every benchmark reports the same way.
import { mkdirSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { execSync } from 'node:child_process';

export const RESULTS = join(import.meta.dirname, '..', 'results');

export interface Figure {
  figure: string;
  value: number;
  unit: string;
  /** The target of issue 4 this figure is read against, as text. */
  target?: string;
  met?: boolean;
  workload?: string;
  note?: string;
}

export function commit(): string {
  try { return execSync('git rev-parse --short HEAD', { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim(); } catch { return 'unknown'; }
}

/** Prints the table; returns the figures that have a target (for summary.json), with the workload. */
export function printTable(title: string, figures: Figure[], workload?: string): Figure[] {
  const rows = figures.map((f) => [f.figure, fmt(f.value), f.unit, f.target ?? '', f.met === undefined ? '' : f.met ? 'met' : 'NOT met']);
  const widths = [0, 1, 2, 3, 4].map((i) => Math.max(...rows.map((r) => r[i]!.length), ['figure', 'value', 'unit', 'target', ''][i]!.length));
  const line = (r: string[]) => r.map((c, i) => (i === 1 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  process.stdout.write(`\n## ${title}\n${line(['figure', 'value', 'unit', 'target', ''])}\n${rows.map(line).join('\n')}\n`);
  // NOTE: a target whose figure could not be measured (NaN) is not met, whatever its comparison said.
  return figures.filter((f) => f.target !== undefined).map((f) => ({
    figure: f.figure, value: f.value, unit: f.unit, target: f.target, met: Number.isFinite(f.value) && f.met === true, workload: f.workload ?? workload ?? '',
    ...(f.note ? { note: f.note } : {}),
  }));
}

export function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString('en-US');
  return v.toPrecision(3);
}

export function writeResult(name: string, body: object): string {
  mkdirSync(RESULTS, { recursive: true });
  const file = join(RESULTS, `${name}.json`);
  writeFileSync(file, JSON.stringify({ benchmark: name, date: new Date().toISOString(), commit: commit(), ...body }, null, 2) + '\n');
  return file;
}

export function readResult<T>(name: string): T | null {
  const file = join(RESULTS, `${name}.json`);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as T) : null;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
