// deploy/ cannot be run here (no Docker engine): check statically that it
// only uses flags and variables the program knows.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { serveSchema } from '@stepstream/cli';

const root = join(import.meta.dirname, '..');
const compose = readFileSync(join(root, 'deploy', 'compose.yaml'), 'utf8');

describe('deploy/compose.yaml', () => {
  it('passes only known flags and targets', () => {
    const flags = new Set(Object.values(serveSchema).map((s) => `--${s.flag}`));
    const used = [...compose.matchAll(/"(--[a-z-]+)"/g)].map((m) => m[1]!);
    expect(used.length).toBeGreaterThan(0);
    for (const f of used) expect(flags, f).toContain(f);
    for (const m of compose.matchAll(/"--target", "([a-z,]+)"/g)) for (const t of m[1]!.split(',')) expect(['all', 'gateway', 'writer', 'query']).toContain(t);
  });

  it('sets only environment variables the program reads', () => {
    const vars = new Set(Object.values(serveSchema).map((s) => s.env));
    const env = compose.slice(compose.indexOf('environment: &env'), compose.indexOf('services:'));
    const used = [...env.matchAll(/^\s+([A-Z_]+):/gm)].map((m) => m[1]!);
    expect(used.length).toBeGreaterThan(0);
    for (const v of used) expect(vars, v).toContain(v);
  });

  it('builds the image from the program entry', () => {
    const dockerfile = readFileSync(join(root, 'deploy', 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain('services/cli/dist/index.js');
  });
});
