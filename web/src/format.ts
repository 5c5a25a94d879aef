// Numbers, steps, times and durations as the dashboard writes them.

/** A value with `digits` significant digits; exponent form when very large or small; NaN and ±Inf by name. */
export function formatValue(v: number | null | undefined, digits = 4): string {
  if (v === null || v === undefined) return '–';
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-3) return trimExp(v.toExponential(digits - 1));
  return String(Number(v.toPrecision(digits)));
}

function trimExp(s: string): string {
  // 1.200e+6 -> 1.2e6, 5.000e-4 -> 5e-4
  return s.replace(/\.?0+e/, 'e').replace('e+', 'e');
}

/** A step count for ticks: 950, 12.5k, 3M. */
export function formatStep(step: number): string {
  const a = Math.abs(step);
  if (a < 1000) return String(Math.round(step));
  for (const [unit, div] of [['B', 1e9], ['M', 1e6], ['k', 1e3]] as const) {
    if (a >= div) return `${Number((step / div).toPrecision(3))}${unit}`;
  }
  return String(step);
}

/** An exact step with thousands separators: 1,234,567. */
export function formatStepExact(step: number): string {
  return Math.round(step).toLocaleString('en-US');
}

/** A duration: 850 ms, 12.3 s, 4m 05s, 2h 03m, 3d 04h. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  const neg = ms < 0 ? '-' : '';
  const a = Math.abs(ms);
  if (a < 1000) return `${neg}${Math.round(a)} ms`;
  if (a < 60_000) return `${neg}${(a / 1000).toFixed(1)} s`;
  const s = Math.floor(a / 1000), m = Math.floor(s / 60), h = Math.floor(m / 60), d = Math.floor(h / 24);
  const pad = (n: number) => String(n).padStart(2, '0');
  if (h < 1) return `${neg}${m}m ${pad(s % 60)}s`;
  if (d < 1) return `${neg}${h}h ${pad(m % 60)}m`;
  return `${neg}${d}d ${pad(h % 24)}h`;
}

/** A wall-clock time in UTC, to the second: 2026-12-01 14:28:53. */
export function formatTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/** A compact wall-clock time in UTC for a table cell: 14:28 today, Dec 01 14:28 this year, else 2023-05-01. */
export function formatWhen(ms: number | null | undefined, now: number): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  const full = formatTime(ms), today = formatTime(now);
  if (full.slice(0, 10) === today.slice(0, 10)) return full.slice(11, 16);
  if (full.slice(0, 4) !== today.slice(0, 4)) return full.slice(0, 10);
  return `${new Date(ms).toLocaleString('en-US', { month: 'short', timeZone: 'UTC' })} ${full.slice(8, 10)} ${full.slice(11, 16)}`;
}

/** A tick for time since start: 0s, 45s, 12m, 1h30m; before the start (a fork's parent part) -1h30m. */
export function formatElapsed(ms: number): string {
  const sign = ms < 0 && Math.round(-ms / 1000) > 0 ? '-' : '';
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 60) return `${sign}${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return sign + (s % 60 === 0 ? `${m}m` : `${m}m${String(s % 60).padStart(2, '0')}s`);
  const h = Math.floor(m / 60);
  return sign + (m % 60 === 0 ? `${h}h` : `${h}h${String(m % 60).padStart(2, '0')}m`);
}
