import { describe, expect, it } from 'vitest';
import { defaultView, parseSmoothing, parseView, serializeView, splitKeyValue, type ViewState } from '../src/view-state.js';

describe('view state in the URL', () => {
  it('the default view is an empty query string, and reads back as the default', () => {
    expect(serializeView(defaultView())).toBe('');
    expect(parseView('')).toEqual(defaultView());
  });

  it('every field survives a round trip, ids with commas, spaces and & included', () => {
    const v: ViewState = {
      ...defaultView(),
      project: 'team a/b', runs: ['run,1', 'r&2', 'ü 3'], metrics: 'train/', collapsed: ['system', ''],
      zoom: { from: 1000, to: 250_000 }, smoothing: { kind: 'ema', weight: 0.6 }, logY: true, x: 'relative',
      table: { q: 'llm', tags: ['demo', 'a b'], status: 'running', config: [['optim.lr', '0.0003'], ['name', 'a=b']], sort: '-summary.loss', columns: ['lr'], summary: ['loss', 'eval/acc'] },
      extra: { rank: '3' },
    };
    expect(parseView(serializeView(v))).toEqual(v);
  });

  it('drops what it cannot use instead of failing: bad zoom, bad smoothing, unknown axis', () => {
    const v = parseView('?from=10&to=5&smoothing=ema:2&x=sideways&run=&from2=1');
    expect(v.zoom).toBeNull();
    expect(v.smoothing).toEqual({ kind: 'none' });
    expect(v.x).toBe('step');
    expect(v.runs).toEqual([]);
    expect(v.extra).toEqual({ from2: '1' });
    expect(parseView('?from=-1&to=5').zoom).toBeNull();
    expect(parseView('?from=1e3&to=5000').zoom).toBeNull();
  });

  it('smoothing forms', () => {
    expect(parseSmoothing('avg:20')).toEqual({ kind: 'avg', window: 20 });
    expect(parseSmoothing('avg:0')).toEqual({ kind: 'none' });
    expect(parseSmoothing('avg:2.5')).toEqual({ kind: 'none' });
    expect(parseSmoothing('ema:0.999')).toEqual({ kind: 'ema', weight: 0.999 });
    expect(parseSmoothing('ema:0.9999')).toEqual({ kind: 'none' });
    expect(splitKeyValue('a=b=c')).toEqual(['a', 'b=c']);
    expect(splitKeyValue('=x')).toBeNull();
  });
});
