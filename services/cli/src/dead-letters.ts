// `stepstream dead-letters list|replay`: what the all-in-one writer could not
// store, kept in <data>/dead-letters, and storing it once its cause is fixed.
//
// NOTE: a replay stores straight into the store of the data directory, with
// the server stopped (as wal-repair), not through the ingest API: a letter
// may be half stored (the parts of its delivery stored before the refusal,
// refusal-split.ts), and only the writer's own path, under the letter's token
// with those parts skipped, completes it without counting a point twice. The
// writer's checks still run (the bytes are decoded and validated, client
// batch keys already stored are skipped).
import { join } from 'node:path';
import { decodeIngestRequest } from '@stepstream/proto';
import { DeadLetterLog, readDeadLetters, type DeadLetter } from '@stepstream/queue';
import { ConfigError, createLogger } from '@stepstream/runtime';
import { dataDirHolder, openStore } from '@stepstream/storage';
import { replayDeadLetter } from '@stepstream/writer';

type Out = (line: string) => void;

function runOf(l: DeadLetter): string {
  try {
    const req = decodeIngestRequest(l.value);
    return `${req.project}/${req.runId}`;
  } catch {
    return '(undecodable)';
  }
}

/** One line per letter: id, time, state, bytes, project/run, reason. */
export async function listDeadLetters(data: string, out: Out): Promise<number> {
  const letters = await readDeadLetters(join(data, 'dead-letters'));
  if (letters.length === 0) out(`no dead letters in ${join(data, 'dead-letters')}`);
  for (const l of letters) {
    const state = l.replayedMs === null ? 'pending' : `replayed ${new Date(l.replayedMs).toISOString()}`;
    out(`${l.id}\t${new Date(l.timeMs).toISOString()}\t${state}\t${l.value.byteLength} bytes\t${runOf(l)}\t${l.origin}\t${l.reason}`);
  }
  return 0;
}

/** Stores the pending letters (or the one `id`); 0 when each was stored, 1 when one is refused still. */
export async function replayDeadLetters(data: string, database: string, id: number | null, out: Out): Promise<number> {
  const holder = dataDirHolder(data);
  if (holder) throw new ConfigError('--data', `${data} is in use by process ${holder.pid} (running since ${holder.since}); stop the server before replaying its dead letters`);
  const dir = join(data, 'dead-letters');
  const pending = (await readDeadLetters(dir)).filter((l) => l.replayedMs === null && (id === null || l.id === id));
  if (id !== null && pending.length === 0) throw new ConfigError('--id', `no pending dead letter ${id} in ${dir} (see \`stepstream dead-letters list --data ${data}\`)`);
  if (pending.length === 0) { out('no pending dead letters'); return 0; }
  const log = createLogger({ level: 'error' });
  const letters = await DeadLetterLog.open({ dir, maxBytes: Number.MAX_SAFE_INTEGER });
  const store = await openStore({ kind: 'embedded', dataDir: data, url: '', database }, log);
  let failed = 0;
  try {
    for (const l of pending) {
      try {
        const r = await replayDeadLetter(store, l);
        await letters.markReplayed(l.id);
        out(`replayed ${l.id}: ${r.rows} points stored${r.duplicates ? ` (${r.duplicates} batch already stored, skipped)` : ''}`);
      } catch (err) {
        failed++;
        out(`not replayed ${l.id}: ${(err as Error).message}`);
      }
    }
  } finally {
    await store.close();
    await letters.close();
  }
  return failed ? 1 : 0;
}
