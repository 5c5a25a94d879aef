import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedAdapter, inlineParams } from '../src/index.js';

describe('inlineParams', () => {
  it('makes each placeholder a CAST of a string literal, escaping the quote and the backslash', () => {
    expect(inlineParams('SELECT {p:String}, {n:Int64}, {a:Array(String)}', { p: "x' OR 1=1 --\\", n: -3, a: ["it's", 'b'] }))
      .toBe(`SELECT CAST('x\\' OR 1=1 --\\\\' AS String), CAST('-3' AS Int64), CAST('[\\'it\\\\\\'s\\',\\'b\\']' AS Array(String))`);
  });

  it('refuses a missing value and values with no text form', () => {
    expect(() => inlineParams('SELECT {p:String}', {})).toThrow('query parameter p has no value');
    expect(() => inlineParams('SELECT {n:Int64}', { n: NaN })).toThrow('not a finite number');
    expect(() => inlineParams('SELECT {n:String}', { n: { a: 1 } })).toThrow('cannot bind a object');
  });
});

describe('EmbeddedAdapter binds parameters itself, statements side by side', () => {
  let dir: string, adapter: EmbeddedAdapter;
  beforeAll(async () => { dir = mkdtempSync(join(tmpdir(), 'ss-inline-')); adapter = await EmbeddedAdapter.open({ path: dir }); });
  afterAll(async () => { await adapter.close(); rmSync(dir, { recursive: true, force: true }); });

  it('the engine reads back exactly the values bound, hostile ones included', async () => {
    const hostile = ["'; DROP TABLE x; --", 'a\\', "\\'", '\n\t\u0000', '{p:String}', 'ünï'];
    const rows = await adapter.query<{ s: string; n: number; a: string[] }>('SELECT {s:String} AS s, {n:Int32} AS n, {a:Array(String)} AS a', { s: hostile.join('|'), n: -1, a: hostile });
    expect(rows).toEqual([{ s: hostile.join('|'), n: -1, a: hostile }]);
  });

  it('runs reads on several connections at once (a slow one does not hold up a quick one)', async () => {
    const slow = adapter.query('SELECT count() AS c FROM numbers_mt({n:UInt64}) WHERE NOT ignore(sleepEachRow(0.001)) SETTINGS max_block_size = 1', { n: 1000 });
    const quick = adapter.query<{ x: number }>('SELECT {x:Int32} AS x', { x: 7 });
    const first = await Promise.race([slow.then(() => 'slow'), quick.then(() => 'quick')]);
    expect(first).toBe('quick');
    await slow;
  });
});
