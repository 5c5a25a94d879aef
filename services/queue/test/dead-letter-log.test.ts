import { appendFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DeadLetterLog, DeadLettersFullError, readDeadLetters } from '../src/index.js';

const dirs: string[] = [];
afterEach(async () => { for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true }); });
const tmp = async () => { const d = await mkdtemp(join(tmpdir(), 'ss-dl-')); dirs.push(d); return d; };
const message = (text: string) => ({ value: new Uint8Array(Buffer.from(text)), receivedMs: 7, origin: `wal:${text}` });

describe('the dead-letter file', () => {
  it('keeps the bytes, reason, time, origin and place of each letter across a reopen, once per token', async () => {
    const dir = await tmp();
    const log = await DeadLetterLog.open({ dir, maxBytes: 1 << 20 });
    await log.send(message('one'), 'refused: 469', { token: 't/0', landed: ['tiers'] });
    await log.send(message('one'), 'refused: 469', { token: 't/0', landed: ['tiers'] });
    await log.send(message('two'), 'invalid', { token: 't/rejected/1', landed: [] });
    await log.markReplayed(1);
    await log.close();
    const letters = await readDeadLetters(dir);
    expect(letters.map((l) => [l.id, Buffer.from(l.value).toString(), l.reason, l.origin, l.token, l.landed, l.receivedMs, l.replayedMs !== null]))
      .toEqual([[1, 'one', 'refused: 469', 'wal:one', 't/0', ['tiers'], 7, true], [2, 'two', 'invalid', 'wal:two', 't/rejected/1', [], 7, false]]);
    // Reopened: the replayed letter is dropped from the file; ids go on.
    const again = await DeadLetterLog.open({ dir, maxBytes: 1 << 20 });
    expect(again.stats().pending).toBe(1);
    await again.send(message('three'), 'r', { token: 'u', landed: [] });
    await again.close();
    expect((await readDeadLetters(dir)).map((l) => l.id)).toEqual([2, 3]);
  });

  it('refuses a letter past its bound, and takes it once a replay made room', async () => {
    const dir = await tmp();
    const log = await DeadLetterLog.open({ dir, maxBytes: 300 });
    await log.send(message('x'.repeat(60)), 'r', { token: 'a', landed: [] });
    await expect(log.send(message('y'.repeat(60)), 'r', { token: 'b', landed: [] })).rejects.toBeInstanceOf(DeadLettersFullError);
    await log.markReplayed(1);
    await log.send(message('y'.repeat(60)), 'r', { token: 'b', landed: [] });
    await log.close();
  });

  it('cuts a torn last record at open and sets its bytes aside', async () => {
    const dir = await tmp();
    const log = await DeadLetterLog.open({ dir, maxBytes: 1 << 20 });
    await log.send(message('kept'), 'r', { token: 'a', landed: [] });
    await log.close();
    await appendFile(join(dir, 'letters.log'), Buffer.from([40, 0, 0, 0, 1, 2, 3]));
    expect(await readDeadLetters(dir)).toHaveLength(1);
    const reopened = await DeadLetterLog.open({ dir, maxBytes: 1 << 20 });
    await reopened.send(message('next'), 'r', { token: 'b', landed: [] });
    await reopened.close();
    expect((await readDeadLetters(dir)).map((l) => Buffer.from(l.value).toString())).toEqual(['kept', 'next']);
    expect((await readdir(dir)).filter((n) => n.startsWith('damaged-'))).toHaveLength(1);
  });
});
