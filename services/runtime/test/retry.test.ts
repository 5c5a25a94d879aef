import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { sleep } from '../src/retry.js';

describe('sleep', () => {
  it('leaves no abort listener behind (a writer retrying forever would pile them up)', async () => {
    const ac = new AbortController();
    for (let i = 0; i < 20; i++) await sleep(1, ac.signal);
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
  });

  it('ends at once when aborted, also when aborted before', async () => {
    const ac = new AbortController();
    const t0 = Date.now();
    const p = sleep(10_000, ac.signal);
    ac.abort();
    await p;
    await sleep(10_000, ac.signal);
    expect(Date.now() - t0).toBeLessThan(1000);
  });
});
