import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, parseFlags } from '@stepstream/runtime';
import { demoSchema } from '../src/demo.js';
import { planRestarts } from '../src/demo-restarts.js';

const unit = (seed: number) => { let s = seed; return () => { s = (s * 16807) % 2147483647; return s / 2147483647; }; };

describe('demo restarts', () => {
  it('is off by default: one attempt over every step with every rank', () => {
    expect(parseConfig(demoSchema, parseFlags([]).flags, {}).restarts).toBe(0);
    expect(parseConfig(demoSchema, parseFlags(['--restarts', '3']).flags, {}).restarts).toBe(3);
    expect(planRestarts(5000, 0, 8, unit(1))).toEqual([{ attempt: 0, resumeStep: 0, endStep: 5000, ranks: 8 }]);
  });

  it('crashes past a checkpoint and resumes from it; the 2nd restart rolls back past the 1st, the last has fewer ranks', () => {
    for (const steps of [8, 20, 400, 5000, 99_999]) {
      for (const restarts of [1, 2, 3, 7]) {
        if (steps < 2 * (restarts + 1)) continue;
        for (const ranks of [1, 2, 8, 64]) {
          const plans = planRestarts(steps, restarts, ranks, unit(steps + restarts));
          const where = `steps ${steps}, restarts ${restarts}, ranks ${ranks}`;
          expect(plans.map((p) => p.attempt), where).toEqual(Array.from({ length: restarts + 1 }, (_, i) => i));
          expect(plans[0]!.resumeStep, where).toBe(0);
          expect(plans.at(-1)!.endStep, where).toBe(steps);
          for (const [i, p] of plans.entries()) {
            expect(p.endStep, where).toBeGreaterThan(p.resumeStep);
            expect(p.ranks, where).toBe(i === restarts && ranks > 1 ? ranks - Math.max(1, Math.floor(ranks / 4)) : ranks);
            const next = plans[i + 1];
            if (!next) continue;
            expect(next.endStep, where).toBeGreaterThan(p.endStep);
            expect(next.resumeStep, where).toBeLessThan(p.endStep); // the crashed attempt logged a tail past it
            if (i === 1) expect(next.resumeStep, where).toBeLessThan(p.resumeStep); // past the 1st restart
            else expect(next.resumeStep, where).toBeGreaterThan(p.resumeStep);
          }
        }
      }
    }
  });

  it('refuses more restarts than the steps have room for, naming the flag', () => {
    expect(() => planRestarts(7, 3, 8, unit(1))).toThrow(ConfigError);
    expect(() => planRestarts(7, 3, 8, unit(1))).toThrow(/--restarts: 3 restarts need at least 8 steps, got --steps 7/);
  });
});
