// Uploads a spool (offline runs, or what an online run could not send).
// NOTE (exactly once): each batch file holds one batch with its own
// (client_id, sequence), sent as stored, and deleted only after the server
// acknowledged it. A sync that stops anywhere (crash, Ctrl-C, server gone)
// resumes with the first file still there; if the server had stored that
// batch before the stop, it recognises the identity and stores it once.
import { StepstreamError } from './errors.js';
import { IngestClient, errorText, type IngestClientOptions } from './ingest-client.js';
import { lockSpoolDir, unlockSpoolDir } from './spool-lock.js';
import { cleanupSpoolDir, listSpool, readBatchFile, rejectBatchFile, removeBatchFile, spoolUrl, type BatchFile } from './spool.js';
import { DEFAULT_URL } from './types.js';

export interface SyncOptions extends Omit<IngestClientOptions, 'url'> {
  /** Told after each batch. */
  onBatch?: (info: { file: string; points: number; done: number; total: number }) => void;
  /** Where warnings go. Default: console.warn. */
  warn?: (message: string) => void;
  signal?: AbortSignal;
}

export interface SyncResult {
  batchesSent: number;
  /** Points the server reported accepted. */
  pointsAccepted: number;
  /** Batches the server refused for good, moved to rejected/ beside the spool. */
  batchesRejected: number;
  /** Batches still in the spool (0 unless the sync stopped early or skipped a spool). */
  batchesLeft: number;
  /** Spool directories left alone because a live process holds them (a run still writing, another sync). */
  spoolsSkipped: number;
}

/**
 * Sends every pending batch under `dir` (a spool root, or any directory
 * inside one) to `url` (default: the url in each spool's spool.json, else
 * http://127.0.0.1:4300), writer by writer, each writer's batches in
 * sequence order. A spool a live process holds (a run still writing it) is
 * skipped with a warning. Throws SS_ERR_CLIENT_UNAVAILABLE (or UNAUTHORIZED)
 * when it has to stop; run it again to resume.
 */
export async function sync(dir: string, url?: string, opts: SyncOptions = {}): Promise<SyncResult> {
  const warn = opts.warn ?? ((m: string) => console.warn(m));
  const groups = listSpool(dir);
  const total = groups.reduce((n, g) => n + g.files.length, 0);
  const result: SyncResult = { batchesSent: 0, pointsAccepted: 0, batchesRejected: 0, batchesLeft: total, spoolsSkipped: 0 };
  const clients = new Map<string, IngestClient>();
  const clientFor = (target: string): IngestClient => {
    let c = clients.get(target);
    if (!c) {
      c = new IngestClient({ ...opts, url: target, retry: { maxAttempts: 12, maxBackoffMs: 5000, ...opts.retry } });
      clients.set(target, c);
    }
    return c;
  };
  try {
    for (const group of groups) {
      try {
        lockSpoolDir(group.dir);
      } catch (err) {
        if (!(err instanceof StepstreamError && err.code === 'SS_ERR_CLIENT_SPOOL_LOCKED')) throw err;
        result.spoolsSkipped++;
        warn(`stepstream sync: skipped ${err.message}`);
        continue;
      }
      try {
        const client = clientFor(url ?? spoolUrl(group.dir) ?? DEFAULT_URL);
        for (const file of group.files) {
          let f: BatchFile;
          try {
            f = readBatchFile(file);
          } catch (err) {
            if ((err as { code?: string }).code === 'ENOENT') { result.batchesLeft--; continue; } // sent by another sync
            throw err;
          }
          try {
            const sent = await client.send(f.bytes, { signal: opts.signal, gzipped: f.gzipped });
            removeBatchFile(file);
            result.batchesSent++;
            result.pointsAccepted += sent.acceptedPoints;
            opts.onBatch?.({ file, points: sent.acceptedPoints, done: result.batchesSent + result.batchesRejected, total });
          } catch (err) {
            // Refused for good (or unreadable): set aside. Anything else about the server: stop, resumable.
            const code = err instanceof StepstreamError ? err.code : undefined;
            if (code !== undefined && code !== 'SS_ERR_CLIENT_REJECTED' && code !== 'SS_ERR_CLIENT_TOO_LARGE') {
              throw new StepstreamError(code === 'SS_ERR_CLIENT_UNAUTHORIZED' ? code : 'SS_ERR_CLIENT_UNAVAILABLE',
                `stepstream sync stopped at ${file} (${result.batchesLeft} batches left): ${errorText(err)}; run it again to resume`, { cause: err });
            }
            const kept = rejectBatchFile(file, errorText(err), err instanceof StepstreamError ? err.statusCode : undefined);
            result.batchesRejected++;
            warn(`stepstream sync: ${file} was refused (${errorText(err)}); set aside as ${kept}`);
          }
          result.batchesLeft--;
        }
        cleanupSpoolDir(group.dir);
      } finally {
        unlockSpoolDir(group.dir);
      }
    }
  } finally {
    for (const c of clients.values()) c.close();
  }
  return result;
}
