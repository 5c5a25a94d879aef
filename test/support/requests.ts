// Builds IngestRequest bytes for tests with the reference (generated) encoder.
import { stepstream as pb } from '@stepstream/proto/gen';

export interface TestSeries { metric: string; rank?: number; steps: number[]; values: number[]; timeMs?: number[] }
export interface TestRequest {
  project: string;
  runId: string;
  series?: TestSeries[];
  clientId?: string;
  sequence?: number;
  /** The run's attempt (0, the first, when not given). */
  attempt?: number;
  run?: pb.v1.IRunInfo;
}

export function encodeRequest(r: TestRequest): Buffer {
  return Buffer.from(pb.v1.IngestRequest.encode({
    project: r.project, runId: r.runId, clientId: r.clientId ?? '', sequence: r.sequence ?? 0, attempt: r.attempt ?? 0, ...(r.run ? { run: r.run } : {}),
    series: (r.series ?? []).map((s) => ({ metric: s.metric, rank: s.rank ?? -1, steps: s.steps, values: s.values, timeMs: s.timeMs ?? [] })),
  }).finish());
}

export { pb };
