// Writes the shared test vectors: proto/testdata/NAME.bin (an encoded
// IngestRequest) beside NAME.json (what it means). Every client, in any
// language, must encode each .json to exactly the bytes of its .bin.
// `--check` fails when the committed vectors differ from what this writes.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stepstream } from '../gen/ingest.js';

const dir = join(dirname(dirname(fileURLToPath(import.meta.url))), 'testdata');
const { IngestRequest } = stepstream.v1;

const vectors = [
  {
    name: 'minimal',
    description: 'One run-level series (rank -1), no client id: the smallest useful request.',
    request: { project: 'demo', run_id: 'run-1', series: [{ metric: 'train/loss', rank: -1, steps: ['0', '1', '2'], values: [2.5, 2.25, 2.125] }] },
  },
  {
    name: 'nonfinite',
    description: 'NaN and both infinities kept exactly, steps past 2^32, explicit times, a rank, a retry identity.',
    request: {
      project: 'demo', run_id: 'run-2', client_id: 'host-a/pid-42', sequence: '7',
      series: [{ metric: 'grad_norm', rank: 7, steps: ['4294967296', '4294967297', '4294967298', '9007199254740991'],
        values: ['NaN', 'Infinity', '-Infinity', 1e-300], time_ms: ['1767225600000', '1767225600001', '1767225600002', '1767225600003'] }],
    },
  },
  {
    name: 'run-info',
    description: 'A run metadata upsert with config, tags, status, times and meta (keys in sorted order), no series.',
    request: {
      project: 'llm', run_id: 'r-2026-11-27', client_id: 'c', sequence: '1',
      run: { name: 'gpt-small baseline', config_json: '{"lr":0.0003,"batch_size":512}', tags: ['baseline', 'fp8'],
        status: 'FINISHED', started_ms: '1767225600000', finished_ms: '1767229200000', meta: { command: 'torchrun train.py', git_commit: 'abc123', host: 'node-0' } },
    },
  },
  {
    name: 'multi-series',
    description: 'Several metrics and ranks in one batch, rank 0 included (proto3 omits it on the wire), unicode in the run name.',
    request: {
      project: 'llm', run_id: 'run-3', client_id: 'rank-0', sequence: '18446744073709551615',
      run: { name: 'λ-sweep ✓', status: 'RUNNING' },
      series: [
        { metric: 'loss', rank: 0, steps: ['10', '11'], values: [1.5, 1.25] },
        { metric: 'loss', rank: 1, steps: ['10', '11'], values: [1.5, 1.375] },
        { metric: 'lr', rank: -1, steps: ['10'], values: [0.0003] },
        { metric: 'gpu/mem.used-bytes', rank: 3, steps: ['300000'], values: [8.5e10] },
      ],
    },
  },
  {
    name: 'restart-fork',
    description: 'Attempt 3 of a forked run, resumed at step 1200 (rank 0 declares it), a fork of llm-base at step 1000.',
    request: {
      project: 'llm', run_id: 'llm-base-ft', client_id: 'a1b2c3d4e5f60718-r0', sequence: '1', attempt: 3,
      run: { name: 'fine-tune', status: 'RUNNING', started_ms: '1767225600000', resume_step: '1200', fork_of: 'llm-base', fork_step: '1000' },
      series: [{ metric: 'loss', rank: 0, steps: ['1200', '1201'], values: [0.75, 0.5] }],
    },
  },
  {
    name: 'resume-at-zero',
    description: 'resume_step 0 is present on the wire (proto3 optional): an attempt that owns the run from its first step.',
    request: {
      project: 'llm', run_id: 'run-4', attempt: 1,
      run: { resume_step: '0' },
      series: [{ metric: 'loss', rank: -1, steps: ['0'], values: [3] }],
    },
  },
];

const num = (v) => (v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v);
function toMessage(j) {
  const run = j.run && {
    name: j.run.name, configJson: j.run.config_json, tags: j.run.tags, status: stepstream.v1.RunStatus[j.run.status ?? 'RUN_STATUS_UNSPECIFIED'],
    startedMs: j.run.started_ms && Number(j.run.started_ms), finishedMs: j.run.finished_ms && Number(j.run.finished_ms), meta: j.run.meta,
    resumeStep: j.run.resume_step && Number(j.run.resume_step), forkOf: j.run.fork_of, forkStep: j.run.fork_step && Number(j.run.fork_step),
  };
  return {
    project: j.project, runId: j.run_id, run, clientId: j.client_id, sequence: j.sequence && BigInt.asUintN(64, BigInt(j.sequence)).toString(), attempt: j.attempt,
    series: (j.series ?? []).map((s) => ({ metric: s.metric, rank: s.rank, steps: s.steps.map(Number), values: s.values.map(num), timeMs: (s.time_ms ?? []).map(Number) })),
  };
}

const check = process.argv.includes('--check');
let drift = false;
for (const v of vectors) {
  const msg = toMessage(v.request);
  const bytes = Buffer.from(IngestRequest.encode(msg).finish());
  const json = JSON.stringify({ description: v.description, request: v.request }, null, 2) + '\n';
  const bin = join(dir, `${v.name}.bin`), js = join(dir, `${v.name}.json`);
  if (check) {
    if (!existsSync(bin) || !bytes.equals(readFileSync(bin)) || readFileSync(js, 'utf8') !== json) { console.error(`vector ${v.name} drifted`); drift = true; }
  } else {
    writeFileSync(bin, bytes);
    writeFileSync(js, json);
    console.log(`${v.name}: ${bytes.length} bytes`);
  }
}
process.exit(drift ? 1 : 0);
