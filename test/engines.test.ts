// Node 20 is what our users and our machines have: every package npm ci
// installs must accept it, or npm warns EBADENGINE and the package may break.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');

describe('package-lock.json', () => {
  it('installs only packages whose engines accept Node 20', () => {
    const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { engines?: { node?: string }; dev?: boolean; optional?: boolean }> };
    const node20 = '20.19.0';
    const refusing = Object.entries(lock.packages)
      .filter(([path, p]) => path !== '' && p.engines?.node && !semver.satisfies(node20, p.engines.node))
      .map(([path, p]) => `${path} (node ${p.engines!.node})`);
    expect(refusing).toEqual([]);
  });
});

describe('the stepstream command', () => {
  it('runs as npx stepstream after npm ci and the build', async () => {
    const { execFileSync } = await import('node:child_process');
    const out = execFileSync('npx', ['--no-install', 'stepstream', '--help'], { cwd: root, encoding: 'utf8', timeout: 30_000 });
    expect(out).toContain('usage:');
    expect(out).toContain('wal-repair');
  });
});
