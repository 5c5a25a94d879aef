// The published package stands alone: no run-time dependency on the
// workspace's private packages, its own copies of what it needs from them
// checked here against the originals (so a change there fails until made
// here too), one version, and a tarball a consumer installs offline.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import * as proto from '@stepstream/proto';
import { IngestClient, VERSION, decodeBatch, encodeIngestRequest, type IngestBatch } from '../src/index.js';
import * as limits from '../src/limits.js';
import { startStub } from './stub-server.js';

const here = dirname(fileURLToPath(import.meta.url));
const pkgDir = join(here, '..');
const testdata = join(here, '../../../proto/testdata');
const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { version: string; dependencies?: Record<string, string>; files: string[] };

/** proto's decoding of a request, in the shapes decodeBatch answers. */
function protoDecoded(bytes: Uint8Array): unknown {
  const d = proto.decodeIngestRequest(bytes, proto.NO_LIMITS);
  return { ...d, sequence: BigInt(d.sequence), series: d.series.map((s) => ({ ...s, steps: Array.from(s.steps), values: Array.from(s.values), timeMs: Array.from(s.timeMs) })) };
}

function normal(b: IngestBatch): unknown {
  return { ...b, series: b.series.map((s) => ({ ...s, steps: Array.from(s.steps), values: Array.from(s.values), timeMs: Array.from(s.timeMs ?? []) })) };
}

describe('published package', () => {
  it('depends at run time on no workspace package', () => {
    expect(pkg.dependencies ?? {}).toEqual({});
    for (const f of readdirSync(join(pkgDir, 'src'))) {
      expect(readFileSync(join(pkgDir, 'src', f), 'utf8'), f).not.toMatch(/from '@stepstream\//);
    }
  });

  it('cuts batches below the server\'s own limits', () => {
    expect(limits.MAX_SERIES_PER_REQUEST).toBe(proto.MAX_SERIES_PER_REQUEST);
    expect(limits.MAX_POINTS_PER_REQUEST).toBe(proto.MAX_POINTS_PER_REQUEST);
    expect(limits.MAX_CONFIG_BYTES).toBe(proto.MAX_CONFIG_BYTES);
    expect(limits.MAX_CONFIG_DEPTH).toBe(proto.MAX_CONFIG_DEPTH);
  });

  const vectors = readdirSync(testdata).filter((f) => f.endsWith('.bin')).sort();
  it.each(vectors)('reads %s back as the server decodes it, and re-encodes it to the same bytes', (name) => {
    const bytes = readFileSync(join(testdata, name));
    const batch = decodeBatch(bytes);
    expect(normal(batch)).toEqual(protoDecoded(bytes));
    expect(encodeIngestRequest(batch).equals(bytes)).toBe(true);
    expect(normal(decodeBatch(gzipSync(bytes), true))).toEqual(normal(batch));
  });

  it('reads back the edges: negative and 2^53-1 steps, a uint64 sequence, the largest attempt, resume_step 0, a __proto__ meta key', () => {
    const edge: IngestBatch = {
      project: 'p', runId: 'r', clientId: 'c', sequence: (1n << 64n) - 1n, attempt: 2 ** 32 - 1,
      run: { name: 'n', status: 'failed', startedMs: 1767225600000, meta: JSON.parse('{"__proto__":"x","a":""}') as Record<string, string>, resumeStep: 0, forkOf: 'f', forkStep: 2 ** 53 - 1 },
      series: [{ metric: 'm', rank: -1, steps: [-5, 0, 2 ** 53 - 1], values: [NaN, -0, Infinity], timeMs: [1, 2 ** 40, 3] }, { metric: 'z', rank: 2 ** 31 - 1, steps: [], values: [] }],
    };
    const bytes = encodeIngestRequest(edge);
    expect(normal(decodeBatch(bytes))).toEqual(protoDecoded(bytes));
    expect(encodeIngestRequest(decodeBatch(bytes)).equals(bytes)).toBe(true);
  });

  it('has one version, package.json\'s, which it sends as its User-Agent', async () => {
    expect(VERSION).toBe(pkg.version);
    const s = await startStub();
    const c = new IngestClient({ url: s.url });
    try {
      await c.send({ project: 'p', runId: 'r', series: [] });
      expect(s.received[0]!.headers['user-agent']).toBe(`stepstream-ts/${pkg.version}`);
    } finally {
      c.close();
      await s.close();
    }
  });

  describe('tarball', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ss-pack-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    // NOTE: npm run from a test inherits npm_* settings of an enclosing `npm test`; start clean.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));
    const npm = (args: string[], cwd: string): string => execFileSync('npm', args, { cwd, env, encoding: 'utf8', timeout: 60_000 });

    it('holds dist/, README.md and package.json only, and installs offline into an empty project where init imports', () => {
      const [packed] = JSON.parse(npm(['pack', '--json', '--pack-destination', dir], pkgDir)) as { filename: string; files: { path: string }[] }[];
      const paths = packed!.files.map((f) => f.path);
      expect(paths.filter((p) => !p.startsWith('dist/') && p !== 'README.md' && p !== 'package.json')).toEqual([]);
      expect(paths).toEqual(expect.arrayContaining(['README.md', 'package.json', 'dist/index.js', 'dist/index.d.ts', 'dist/cli.js']));

      const consumer = join(dir, 'consumer');
      mkdirSync(consumer);
      writeFileSync(join(consumer, 'package.json'), '{ "name": "consumer", "private": true, "type": "module" }\n');
      npm(['install', '--offline', '--no-audit', '--no-fund', join(dir, packed!.filename)], consumer);
      const script = "import { init, VERSION } from '@stepstream/client'; const r = init({ project: 'p', mode: 'disabled', exitHooks: false }); console.log(typeof init, VERSION, r.mode);";
      expect(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: consumer, encoding: 'utf8' }).trim()).toBe(`function ${pkg.version} disabled`);
      expect(execFileSync(join(consumer, 'node_modules/.bin/stepstream-sync-js'), ['--version'], { encoding: 'utf8' }).trim()).toBe(`stepstream-sync-js ${pkg.version}`);
    }, 60_000);
  });
});
