import { describe, expect, it } from 'vitest';
import { ApiKeys, ServiceError, hashKey, newKey, parseKeyEntries } from '../src/index.js';

describe('API keys', () => {
  it('stores only the hash, and a key opens its own project only', () => {
    const w = newKey('llm', 'write');
    const r = newKey('llm', 'read');
    expect(w.entry.sha256).toBe(hashKey(w.key));
    expect(JSON.stringify(w.entry)).not.toContain(w.key);
    const keys = new ApiKeys([w.entry, r.entry]);
    expect(() => keys.check(`Bearer ${w.key}`, 'llm', 'write')).not.toThrow();
    expect(() => keys.check(`Bearer ${w.key}`, 'llm', 'read')).not.toThrow();
    expect(() => keys.check(`Bearer ${r.key}`, 'llm', 'read')).not.toThrow();
    const codeOf = (f: () => void) => { try { f(); return null; } catch (e) { return [(e as ServiceError).statusCode, (e as ServiceError).code]; } };
    expect(codeOf(() => keys.check(`Bearer ${r.key}`, 'llm', 'write'))).toEqual([403, 'SS_ERR_FORBIDDEN']);
    expect(codeOf(() => keys.check(`Bearer ${w.key}`, 'other', 'read'))).toEqual([403, 'SS_ERR_FORBIDDEN']);
    expect(codeOf(() => keys.check(undefined, 'llm', 'read'))).toEqual([401, 'SS_ERR_UNAUTHORIZED']);
    expect(codeOf(() => keys.check('Bearer nope', 'llm', 'read'))).toEqual([401, 'SS_ERR_UNAUTHORIZED']);
  });

  it('names the projects a key may read: each project its hash is configured for, write keys included', () => {
    const shared = newKey('a', 'read');
    const other = newKey('c', 'write');
    const keys = new ApiKeys([shared.entry, { ...shared.entry, project: 'b', role: 'write' }, other.entry]);
    expect(keys.readableProjects(`Bearer ${shared.key}`)).toEqual(new Set(['a', 'b']));
    expect(keys.readableProjects(`Bearer ${other.key}`)).toEqual(new Set(['c']));
    expect(() => keys.readableProjects(undefined)).toThrow(ServiceError);
    expect(() => keys.readableProjects('Bearer nope')).toThrow(/unknown API key/);
    expect(new ApiKeys([]).readableProjects(undefined)).toBeNull();
  });

  it('is open when no key is configured', () => {
    expect(new ApiKeys([]).enabled).toBe(false);
    expect(() => new ApiKeys([]).check(undefined, 'any', 'write')).not.toThrow();
  });

  it('parses the STEPSTREAM_API_KEYS form and names a bad entry', () => {
    const h = 'a'.repeat(64);
    expect(parseKeyEntries(`p1:write:${h}, p2:read:${h}`)).toEqual([{ project: 'p1', role: 'write', sha256: h }, { project: 'p2', role: 'read', sha256: h }]);
    expect(parseKeyEntries('')).toEqual([]);
    expect(() => parseKeyEntries(`p1:admin:${h}`)).toThrow(/project:read\|write/);
    expect(() => parseKeyEntries('p1:write:xyz')).toThrow(/p1:write:xyz/);
  });
});
