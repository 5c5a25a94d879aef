// The shared vectors, byte for byte, and the hand encoder against the
// generated protobufjs encoder on random batches.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { stepstream } from '@stepstream/proto/gen';
import { decodeIngestRequest } from '@stepstream/proto';
import { encodeIngestRequest, type IngestBatch, type RunInfoInput, type RunStatus } from '../src/index.js';

const testdata = join(dirname(fileURLToPath(import.meta.url)), '../../../proto/testdata');

type JsonNumber = number | string;
interface JsonRequest {
  project?: string; run_id?: string; client_id?: string; sequence?: string; attempt?: number;
  run?: {
    name?: string; config_json?: string; tags?: string[]; status?: string; started_ms?: string; finished_ms?: string; meta?: Record<string, string>;
    resume_step?: string; fork_of?: string; fork_step?: string;
  };
  series?: { metric: string; rank: number; steps: string[]; values: JsonNumber[]; time_ms?: string[] }[];
}

const num = (v: JsonNumber): number => (v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : Number(v));

/** A vector's JSON as the batch a caller would build. */
function fromJson(j: JsonRequest): IngestBatch {
  const r = j.run;
  const run: RunInfoInput | undefined = r && {
    ...(r.name !== undefined ? { name: r.name } : {}),
    ...(r.config_json !== undefined ? { configJson: r.config_json } : {}),
    ...(r.tags ? { tags: r.tags } : {}),
    ...(r.status ? { status: r.status.toLowerCase() as RunStatus } : {}),
    ...(r.started_ms ? { startedMs: Number(r.started_ms) } : {}),
    ...(r.finished_ms ? { finishedMs: Number(r.finished_ms) } : {}),
    ...(r.meta ? { meta: r.meta } : {}),
    ...(r.resume_step !== undefined ? { resumeStep: Number(r.resume_step) } : {}),
    ...(r.fork_of !== undefined ? { forkOf: r.fork_of } : {}),
    ...(r.fork_step !== undefined ? { forkStep: Number(r.fork_step) } : {}),
  };
  return {
    project: j.project ?? '', runId: j.run_id ?? '', run: run ?? null,
    ...(j.client_id ? { clientId: j.client_id } : {}),
    ...(j.sequence ? { sequence: BigInt(j.sequence) } : {}),
    ...(j.attempt !== undefined ? { attempt: j.attempt } : {}),
    series: (j.series ?? []).map((s) => ({ metric: s.metric, rank: s.rank, steps: s.steps.map(Number), values: s.values.map(num), ...(s.time_ms ? { timeMs: s.time_ms.map(Number) } : {}) })),
  };
}

const names = readdirSync(testdata).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();

describe('shared test vectors', () => {
  it('finds the vectors', () => {
    expect(names).toEqual(expect.arrayContaining(['minimal', 'multi-series', 'nonfinite', 'run-info', 'restart-fork', 'resume-at-zero']));
  });

  it.each(names)('%s encodes to exactly the bytes of its .bin', (name) => {
    const j = JSON.parse(readFileSync(join(testdata, `${name}.json`), 'utf8')) as { request: JsonRequest };
    const want = readFileSync(join(testdata, `${name}.bin`));
    expect(encodeIngestRequest(fromJson(j.request)).toString('hex')).toBe(want.toString('hex'));
  });

  it('accepts typed arrays as columns', () => {
    const j = JSON.parse(readFileSync(join(testdata, 'nonfinite.json'), 'utf8')) as { request: JsonRequest };
    const b = fromJson(j.request);
    const typed = { ...b, series: b.series.map((s) => ({ ...s, steps: Float64Array.from(s.steps), values: Float64Array.from(s.values), timeMs: Float64Array.from(s.timeMs ?? []) })) };
    expect(encodeIngestRequest(typed).equals(readFileSync(join(testdata, 'nonfinite.bin')))).toBe(true);
  });
});

describe('hand encoder against protobufjs', () => {
  let seed = 42;
  const rand = (): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rand() * a.length)]!;
  const specials = [0, -0, 1.5, -2.25, NaN, Infinity, -Infinity, 1e-300, 5e-324, Number.MAX_VALUE];
  const steps = [0, 1, 127, 128, 16383, 16384, 2 ** 28, 2 ** 31, 2 ** 32, 2 ** 35 + 7, 2 ** 53 - 1];

  function randomBatch(): IngestBatch {
    const series = Array.from({ length: Math.floor(rand() * 4) }, () => {
      const n = Math.floor(rand() * 6);
      const withTime = rand() < 0.5;
      return {
        metric: pick(['loss', 'a/b.c-d_e', 'x'.repeat(200)]), rank: pick([-1, 0, 1, 7, 1023, 2 ** 31 - 1]),
        steps: Array.from({ length: n }, () => pick(steps)), values: Array.from({ length: n }, () => (rand() < 0.5 ? pick(specials) : rand() * 1e6)),
        ...(withTime ? { timeMs: Array.from({ length: n }, () => 1767225600000 + Math.floor(rand() * 1e6)) } : {}),
      };
    });
    const lineage = rand() < 0.5 ? {} : { resumeStep: pick([null, 0, 1, 2 ** 40]), forkOf: pick(['', 'parent']), forkStep: pick([0, 999, 2 ** 53 - 1]) };
    const run: RunInfoInput | null = rand() < 0.5 ? null : { name: pick(['', 'λ ✓', 'r']), configJson: '{"a":1}', tags: pick([[], ['x', ''], ['a']]), status: pick(['running', 'failed'] as const), startedMs: pick([0, 1767225600000]), meta: pick<Record<string, string>>([{}, { host: 'h', empty: '' }]), ...lineage };
    return { project: 'p', runId: pick(['', 'run-1']), run, series, clientId: pick(['', 'c-1']), sequence: pick([0, 1, 300, 2 ** 40, 2n ** 64n - 1n]), attempt: pick([0, 1, 127, 128, 2 ** 32 - 1]) };
  }

  function toProtobufjs(b: IngestBatch): stepstream.v1.IngestRequest.$Properties {
    const r = b.run;
    return {
      project: b.project, runId: b.runId, clientId: b.clientId ?? '', ...(b.sequence ? { sequence: String(b.sequence) } : {}), attempt: b.attempt ?? 0,
      ...(r ? { run: {
        name: r.name ?? '', configJson: r.configJson ?? '', tags: [...(r.tags ?? [])], status: { running: 1, finished: 2, failed: 3, crashed: 4 }[r.status as RunStatus], startedMs: r.startedMs ?? 0, meta: { ...r.meta },
        ...(r.resumeStep != null ? { resumeStep: r.resumeStep } : {}), forkOf: r.forkOf ?? '', forkStep: r.forkStep ?? 0,
      } } : {}),
      series: b.series.map((s) => ({ metric: s.metric, rank: s.rank ?? -1, steps: Array.from(s.steps), values: Array.from(s.values), timeMs: Array.from(s.timeMs ?? []) })),
    } as unknown as stepstream.v1.IngestRequest.$Properties;
  }

  it('gives the same bytes on 500 random batches, and they decode back', () => {
    for (let i = 0; i < 500; i++) {
      const b = randomBatch();
      const mine = encodeIngestRequest(b);
      const theirs = Buffer.from(stepstream.v1.IngestRequest.encode(toProtobufjs(b)).finish());
      expect(mine.toString('hex'), JSON.stringify(b, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).toBe(theirs.toString('hex'));
      const d = decodeIngestRequest(mine);
      expect(d.series.length).toBe(b.series.length);
      expect(d.attempt).toBe(b.attempt);
      if (b.run) expect(d.run).toMatchObject({ resumeStep: b.run.resumeStep ?? null, forkOf: b.run.forkOf ?? '', forkStep: b.run.forkStep ?? 0 });
    }
  });

  it('rejects malformed columns', () => {
    expect(() => encodeIngestRequest({ project: 'p', runId: 'r', series: [{ metric: 'm', steps: [1, 2], values: [1] }] })).toThrow(/equal lengths/);
    expect(() => encodeIngestRequest({ project: 'p', runId: 'r', series: [{ metric: 'm', steps: [1.5], values: [1] }] })).toThrow(/safe integer/);
    expect(() => encodeIngestRequest({ project: 'p', runId: 'r', series: [], sequence: -1 })).toThrow(/uint64/);
    expect(() => encodeIngestRequest({ project: 'p', runId: 'r', series: [], attempt: 2 ** 32 })).toThrow(/attempt must be a uint32/);
    expect(() => encodeIngestRequest({ project: 'p', runId: 'r', series: [], attempt: -1 })).toThrow(/attempt must be a uint32/);
    expect(() => encodeIngestRequest({ project: 'p', runId: 'r', series: [], run: { resumeStep: 1.5 } })).toThrow(/resumeStep must be a safe integer/);
  });
});
