// The lineage fields (attempt, run.resume_step, run.fork_of, run.fork_step):
// decoded with their presence kept where it matters, and validated like the
// fields they resemble (steps, run_id).
import protobuf from 'protobufjs/minimal.js';
import { describe, expect, it } from 'vitest';
import { decodeIngestRequest, validateRequest } from '../src/index.js';
import { stepstream as pb } from '../gen/ingest.js';

const encode = (r: pb.v1.IIngestRequest) => pb.v1.IngestRequest.encode(r).finish();
const withRun = (run: pb.v1.IRunInfo, more: pb.v1.IIngestRequest = {}) => decodeIngestRequest(encode({ project: 'p', runId: 'r', run, ...more }));
const problemOf = (run: pb.v1.IRunInfo) => validateRequest(withRun(run)).problem;

describe('lineage fields: decoding', () => {
  it('are at their defaults when absent: attempt 0, resumeStep null, forkOf empty, forkStep 0', () => {
    const req = withRun({ name: 'n' });
    expect(req.attempt).toBe(0);
    expect(req.run).toMatchObject({ resumeStep: null, forkOf: '', forkStep: 0 });
    expect(decodeIngestRequest(encode({ project: 'p', runId: 'r' })).attempt).toBe(0);
  });

  it('are read as sent, and resume_step 0 is present, not absent', () => {
    const req = withRun({ resumeStep: 1200, forkOf: 'parent-run', forkStep: 2 ** 40 }, { attempt: 4294967295 });
    expect(req.attempt).toBe(4294967295);
    expect(req.run).toMatchObject({ resumeStep: 1200, forkOf: 'parent-run', forkStep: 2 ** 40 });
    expect(withRun({ resumeStep: 0 }).run!.resumeStep).toBe(0);
  });

  it('keeps the last value when a field is repeated, as protobuf does', () => {
    const w = protobuf.Writer.create();
    w.uint32((3 << 3) | 2).fork().uint32(8 << 3).int64(5).uint32(8 << 3).int64(9).ldelim();
    w.uint32(7 << 3).uint32(2).uint32(7 << 3).uint32(3);
    const req = decodeIngestRequest(w.finish());
    expect(req.run!.resumeStep).toBe(9);
    expect(req.attempt).toBe(3);
  });

  it('refuses the wrong wire types and an attempt of 2^32 or more (never truncated to another attempt)', () => {
    expect(() => decodeIngestRequest(protobuf.Writer.create().uint32((7 << 3) | 2).string('1').finish())).toThrow(/attempt must be a varint/);
    expect(() => decodeIngestRequest(protobuf.Writer.create().uint32(7 << 3).uint64(2 ** 32).finish())).toThrow(/attempt is 2\^32 or more/);
    for (const [field, wt] of [[8, 2], [9, 0], [10, 1]] as const) {
      const w = protobuf.Writer.create().uint32((3 << 3) | 2).fork().uint32((field << 3) | wt);
      if (wt === 0) w.uint32(1); else if (wt === 1) w.double(1); else w.string('x');
      expect(() => decodeIngestRequest(w.ldelim().finish())).toThrow(new RegExp(`RunInfo field ${field} has the wrong wire type`));
    }
  });
});

describe('lineage fields: validation', () => {
  it('accepts steps in [0, 2^53), a valid fork_of, and a fork of the run itself (a loop is served, not refused)', () => {
    expect(problemOf({ resumeStep: 0, forkOf: 'other', forkStep: 0 })).toBeNull();
    expect(problemOf({ resumeStep: 2 ** 53 - 1, forkStep: 2 ** 53 - 1, forkOf: 'r' })).toBeNull();
    // fork_step without fork_of says nothing, and is not refused.
    expect(problemOf({ forkStep: 10 })).toBeNull();
  });

  it('refuses resume_step and fork_step outside the bounds of steps, naming the field', () => {
    expect(problemOf({ resumeStep: -1 })).toEqual({ message: 'run.resume_step is -1; steps must be in [0, 2^53)', details: { field: 'run.resume_step' } });
    expect(problemOf({ resumeStep: '9007199254740993' as unknown as number })).toEqual({ message: 'run.resume_step is beyond 2^53; steps must be in [0, 2^53)', details: { field: 'run.resume_step' } });
    expect(problemOf({ forkOf: 'a', forkStep: -3 })).toMatchObject({ details: { field: 'run.fork_step' } });
    expect(problemOf({ forkOf: 'a', forkStep: '-9007199254740993' as unknown as number })?.message).toMatch(/run.fork_step is beyond 2\^53/);
  });

  it('refuses a fork_of that is not a valid run id, with the rule of run_id', () => {
    expect(problemOf({ forkOf: 'a\nb' })).toEqual({ message: 'run.fork_of contains a control character', details: { field: 'run.fork_of' } });
    expect(problemOf({ forkOf: 'x'.repeat(257) })).toEqual({ message: 'run.fork_of is longer than 256 bytes', details: { field: 'run.fork_of', limit: 256 } });
  });
});
