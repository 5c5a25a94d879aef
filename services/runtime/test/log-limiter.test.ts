import { describe, expect, it } from 'vitest';
import { LogLimiter, loggablePath } from '../src/log-limiter.js';

describe('LogLimiter', () => {
  it('admits a burst per kind and window, then reports how many were left out', () => {
    let now = 0;
    const lim = new LogLimiter({ burst: 2, windowMs: 1000, now: () => now });
    expect([lim.admit('a'), lim.admit('a'), lim.admit('a'), lim.admit('a')]).toEqual([0, 0, null, null]);
    expect(lim.admit('b')).toBe(0);
    now = 1000;
    expect(lim.admit('a')).toBe(2);
    expect(lim.admit('a')).toBe(0);
    expect(lim.admit('a')).toBeNull();
  });

  it('tracks a bounded number of kinds', () => {
    const lim = new LogLimiter({ burst: 1, windowMs: 1000, maxKinds: 3, now: () => 0 });
    for (let i = 0; i < 100; i++) expect(lim.admit(`k${i}`)).toBe(0);
    expect((lim as unknown as { windows: Map<string, unknown> }).windows.size).toBe(3);
  });
});

describe('loggablePath', () => {
  it('drops the query string', () => {
    expect(loggablePath('/v1/x?key=secret&a=1')).toBe('/v1/x?[redacted]');
    expect(loggablePath('/v1/x')).toBe('/v1/x');
  });
});
