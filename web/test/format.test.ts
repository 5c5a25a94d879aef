import { describe, expect, it } from 'vitest';
import { formatDuration, formatElapsed, formatStep, formatStepExact, formatTime, formatValue, formatWhen } from '../src/format.js';

describe('formatting', () => {
  it('values: significant digits, exponents when very large or small, non-finite by name', () => {
    expect(formatValue(2.0412345)).toBe('2.041');
    expect(formatValue(0.0003)).toBe('3e-4');
    expect(formatValue(152_000)).toBe('152000');
    expect(formatValue(1_234_567)).toBe('1.235e6');
    expect(formatValue(-0.5)).toBe('-0.5');
    expect(formatValue(0)).toBe('0');
    expect(formatValue(NaN)).toBe('NaN');
    expect(formatValue(Infinity)).toBe('+Inf');
    expect(formatValue(-Infinity)).toBe('-Inf');
    expect(formatValue(null)).toBe('–');
  });

  it('steps: short for ticks, exact with separators', () => {
    expect(formatStep(950)).toBe('950');
    expect(formatStep(12_500)).toBe('12.5k');
    expect(formatStep(3_000_000)).toBe('3M');
    expect(formatStepExact(1_234_567)).toBe('1,234,567');
  });

  it('durations, times and time since start', () => {
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(12_340)).toBe('12.3 s');
    expect(formatDuration(245_000)).toBe('4m 05s');
    expect(formatDuration(2 * 3600_000 + 3 * 60_000)).toBe('2h 03m');
    expect(formatDuration(3 * 86_400_000 + 4 * 3600_000)).toBe('3d 04h');
    expect(formatDuration(null)).toBe('–');
    expect(formatTime(Date.UTC(2026, 11, 1, 14, 28, 53))).toBe('2026-12-01 14:28:53');
    const now = Date.UTC(2026, 11, 1, 20, 0, 0);
    expect(formatWhen(Date.UTC(2026, 11, 1, 14, 28, 53), now)).toBe('14:28');
    expect(formatWhen(Date.UTC(2026, 4, 3, 9, 5, 0), now)).toBe('May 03 09:05');
    expect(formatWhen(Date.UTC(2023, 4, 3, 9, 5, 0), now)).toBe('2023-05-03');
    expect(formatWhen(null, now)).toBe('–');
    expect(formatElapsed(45_000)).toBe('45s');
    expect(formatElapsed(12 * 60_000)).toBe('12m');
    expect(formatElapsed(90 * 60_000)).toBe('1h30m');
    expect(formatElapsed(-(12 * 3600_000 + 7 * 60_000))).toBe('-12h07m'); // before the start: a fork's parent part
    expect(formatElapsed(-90_000)).toBe('-1m30s');
    expect(formatElapsed(-200)).toBe('0s');
  });
});
