// No stored run can make a read fail: each free-form field is answered, or
// null with `<field>_error` saying why, and the answer always serialises.
import { describe, expect, it } from 'vitest';
import type { RunRow } from '@stepstream/storage';
import { LIST_FIELD_BYTES, MAX_CONFIG_DEPTH, RUN_FIELD_BYTES, nestsDeeperThan, runView } from '../src/run-view.js';

function row(over: Partial<RunRow> = {}): RunRow {
  const r: RunRow = {
    id: 'r', name: 'run', status: 2, tags: ['a'], config_json: '{"lr":0.1}', meta: { host: 'h' }, started_ms: 1, finished_ms: 2, last_step: 9, metric_count: 1,
    bytes: { name: 3, config: 10, tags: 2, meta: 6 },
    ...over,
  };
  return { ...r, bytes: { ...r.bytes, config: r.config_json.length, ...over.bytes } };
}

const nested = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

describe('runView', () => {
  it('answers a sane run whole, without error fields', () => {
    const v = runView(row(), LIST_FIELD_BYTES);
    expect(v).toEqual({ id: 'r', name: 'run', status: 'finished', tags: ['a'], config: { lr: 0.1 }, meta: { host: 'h' }, started_ms: 1, finished_ms: 2, last_step: 9, metric_count: 1 });
    expect(runView(row({ config_json: '', name: '' }), LIST_FIELD_BYTES)).toMatchObject({ name: 'r', config: {} });
  });

  it('answers a config nested deeper than the limit as null with config_error, and the answer serialises', () => {
    const deep = nested(100_000);
    expect(() => JSON.stringify(JSON.parse(deep))).toThrow(RangeError); // what made GET /runs answer 500
    const v = runView(row({ config_json: deep }), RUN_FIELD_BYTES);
    expect(v.config).toBeNull();
    expect(v.config_error).toEqual({ reason: 'too_deep', limit: MAX_CONFIG_DEPTH, message: expect.stringMatching(/deeper than 256/) as unknown });
    expect(() => JSON.stringify(v)).not.toThrow();
    expect(runView(row({ config_json: nested(MAX_CONFIG_DEPTH) }), RUN_FIELD_BYTES).config).not.toBeNull();
    expect(runView(row({ config_json: `{"a":${'['.repeat(MAX_CONFIG_DEPTH)}${']'.repeat(MAX_CONFIG_DEPTH)}}` }), RUN_FIELD_BYTES).config_error?.reason).toBe('too_deep');
  });

  it('answers a config that is not a JSON object as null with the reason', () => {
    expect(runView(row({ config_json: '{"lr":' }), RUN_FIELD_BYTES).config_error?.reason).toBe('not_json');
    for (const json of ['[1,2]', '"x"', 'null', '3']) {
      const v = runView(row({ config_json: json }), RUN_FIELD_BYTES);
      expect({ json, config: v.config, reason: v.config_error?.reason }).toEqual({ json, config: null, reason: 'not_object' });
    }
  });

  it('answers a field over the read\'s byte limit as null with too_large, naming the limit', () => {
    const big = row({ bytes: { name: 3, config: LIST_FIELD_BYTES + 1, tags: LIST_FIELD_BYTES + 1, meta: 6 }, config_json: '', tags: [] });
    const v = runView(big, LIST_FIELD_BYTES);
    expect(v).toMatchObject({ config: null, tags: null, meta: { host: 'h' }, name: 'run' });
    expect(v.config_error).toMatchObject({ reason: 'too_large', limit: LIST_FIELD_BYTES });
    expect(v.config_error?.message).toMatch(/GET \/runs\/:run answers up to 4194304/);
    expect(v.tags_error).toMatchObject({ reason: 'too_large', limit: LIST_FIELD_BYTES });
    expect(v).not.toHaveProperty('meta_error');
    expect(runView(row({ bytes: { name: RUN_FIELD_BYTES + 1, config: 10, tags: 2, meta: RUN_FIELD_BYTES + 1 } }), RUN_FIELD_BYTES))
      .toMatchObject({ name: null, meta: null, name_error: { reason: 'too_large' }, meta_error: { reason: 'too_large' } });
  });

  it('counts depth outside strings only', () => {
    expect(nestsDeeperThan('{"a":"[[[[{{{{\\"[[["}', 1)).toBe(false);
    expect(nestsDeeperThan('{"a\\\\":[{}]}', 2)).toBe(true);
    expect(nestsDeeperThan('[[]]', 2)).toBe(false);
    expect(nestsDeeperThan('[[[]]]', 2)).toBe(true);
  });
});
