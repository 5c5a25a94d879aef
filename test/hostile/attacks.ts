// Bodies of the hostile ingest requests reported in issue 9, one function each,
// shared by test/hostile/ingest.test.ts and the memory benchmark in bench/.
// Each returns the bytes to POST (gzipped where the attack relies on it, with
// `gzip: true` to say so).
import * as wire from '../../bench/src/attacks.js';
import type { TestRequest } from '../support/requests.js';

export interface AttackBody { body: Buffer; gzip: boolean }

/** The attacks on the wire, from the one module that builds them (the memory benchmark uses it too). */
export const emptySeriesBomb = (series?: number, project = 'p', runId = 'r'): AttackBody => ({ body: wire.emptySeriesBomb(series, project, runId), gzip: true });
export const packedZeroStepsBomb = (bytes?: number, project = 'p', runId = 'r'): AttackBody => ({ body: wire.packedZeroStepsBomb(bytes, project, runId), gzip: true });
export const deepConfig = (depth?: number, project = 'p', runId = 'r'): AttackBody => ({ body: wire.deepConfig(depth, project, runId), gzip: false });
export const hugeConfig = (bytes?: number, project = 'p', runId = 'r'): AttackBody => ({ body: wire.hugeConfig(bytes, project, runId), gzip: true });
export const hugeDeclaredLength = (): AttackBody => ({ body: wire.hugeDeclaredLength(), gzip: false });

/** Ids that begin with a byte-order mark: stored as sent, distinct from the ids without it. */
export function bomIds(): TestRequest {
  return { project: '\uFEFFp', runId: '\uFEFFr', series: [{ metric: 'm', steps: [0], values: [1] }] };
}

/** A run whose meta has the key `__proto__` (dropped when meta is a plain object). */
export function protoMetaKey(project = 'p', runId = 'r'): TestRequest {
  return { project, runId, run: { name: 'x', meta: { ['__proto__']: 'kept', host: 'h' } as Record<string, string> }, series: [] };
}

/** Three values of 1e308 in one bucket: their sum overflows a double. */
export function overflowingValues(project = 'p', runId = 'r'): TestRequest {
  return { project, runId, series: [{ metric: 'm', steps: [0, 1, 2], values: [1e308, 1e308, 1e308] }] };
}

/** An id of exactly `bytes` UTF-8 bytes, multi-byte characters included ("é" is 2 bytes, "€" 3). */
export function longId(bytes = 256): string {
  const head = 'é€-'.repeat(Math.floor(bytes / 6)); // 6 bytes each
  return head + 'x'.repeat(bytes - Buffer.byteLength(head));
}
