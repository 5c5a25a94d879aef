// bench/results/summary.json lists every target, measured or not: a figure
// that could not be measured is "not met", never dropped.
import { describe, expect, it } from 'vitest';
import { notMeasured } from '../bench/src/anchor.js';
import { printTable } from '../bench/src/report.js';

describe('benchmark summary', () => {
  it('lists a target whose figure is NaN as not met', () => {
    const out = printTable('t', [
      { figure: 'a', value: NaN, unit: 'x', target: '< 5', met: true },
      { figure: 'b', value: 3, unit: 'x', target: '< 5', met: true },
      { figure: 'c', value: 3, unit: 'x' },
    ]);
    expect(out.map((f) => [f.figure, f.met])).toEqual([['a', false], ['b', true]]);
  });

  it('lists both VictoriaMetrics comparisons when VictoriaMetrics is not installed', () => {
    const figures = notMeasured('victoria-metrics not found', 'w');
    expect(figures.map((f) => [f.figure, f.met, f.target])).toEqual([
      ['Stepstream / VM, acknowledged', false, '≥ 1.0'],
      ['Stepstream / VM, queryable', false, '≥ 1.0'],
    ]);
    expect(figures[0]!.note).toContain('not measured');
  });
});
