// The one error catalogue: every code the source uses is in it, no code is
// made at run time, and docs/api.md says what it says.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE, ServiceError, errorBody, errorTable } from '../src/errors.js';

const root = join(import.meta.dirname, '..', '..', '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'dist' || name === 'gen') return [];
    return statSync(path).isDirectory() ? sources(path) : name.endsWith('.ts') ? [path] : [];
  });
}

describe('error catalogue', () => {
  const files = [...sources(join(root, 'services')).filter((f) => f.includes('/src/')), ...sources(join(root, 'proto', 'src'))];

  it('holds every SS_ERR_ code the services use, and none is built at run time', () => {
    const used = new Set<string>();
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      for (const m of text.matchAll(/SS_ERR_[A-Z][A-Z_]*/g)) used.add(m[0]);
      expect(text, f).not.toMatch(/`SS_ERR_[A-Z_]*\$\{/);
    }
    const unknown = [...used].filter((c) => !(c in ERROR_CATALOGUE));
    expect(unknown).toEqual([]);
    expect(used.size).toBeGreaterThan(20);
  });

  it('gives each error its status from the catalogue', () => {
    const e = new ServiceError('SS_ERR_TOO_MANY_READS', 'x');
    expect(e.statusCode).toBe(429);
    expect(errorBody('SS_ERR_METHOD_NOT_ALLOWED', 'm')).toEqual({ statusCode: 405, code: 'SS_ERR_METHOD_NOT_ALLOWED', error: 'Method Not Allowed', message: 'm' });
  });

  it('is the table in docs/api.md, and every "NNN SS_ERR_X" there has the catalogue\'s status', () => {
    const doc = readFileSync(join(root, 'docs', 'api.md'), 'utf8');
    const start = doc.indexOf('-->', doc.indexOf('<!-- errors:start')) + 3;
    const table = doc.slice(start, doc.indexOf('<!-- errors:end -->')).trim();
    expect(table, 'run npm run docs:errors').toBe(errorTable());
    for (const m of doc.matchAll(/(\d{3}) (SS_ERR_[A-Z_]+)/g)) {
      const entry = (ERROR_CATALOGUE as Record<string, { status: number | null }>)[m[2]!];
      expect(entry, m[2]).toBeDefined();
      expect(`${m[1]} ${m[2]}`).toBe(`${entry!.status} ${m[2]}`);
    }
  });
});
