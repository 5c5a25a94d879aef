import { describe, expect, it } from 'vitest';
import { PERMANENT_ENGINE_CODES, StoreError, isTransientEngineCode } from '../src/index.js';

describe('transient or permanent store failures', () => {
  it('marks refusals of a block for what it holds permanent', () => {
    for (const code of [6, 53, 72, 131, 128, 469, 43, 44]) expect(isTransientEngineCode(code), `code ${code}`).toBe(false);
    expect(new StoreError('refused', { engineCode: 469 }).transient).toBe(false);
  });

  it('marks load, network, time-outs, schema gaps, failures without a code and unknown codes transient', () => {
    for (const code of [252, 241, 159, 209, 210, 202, 32, 33, 60, 16, 999_999]) expect(isTransientEngineCode(code), `code ${code}`).toBe(true);
    expect(new StoreError('store is closed').transient).toBe(true);
    expect(new StoreError('connect ECONNREFUSED', { engineCode: undefined }).transient).toBe(true);
  });

  it('names every permanent code as ClickHouse does', () => {
    for (const name of PERMANENT_ENGINE_CODES.values()) expect(name).toMatch(/^[A-Z0-9_]+$/);
    expect(PERMANENT_ENGINE_CODES.get(469)).toBe('VIOLATED_CONSTRAINT');
  });
});
