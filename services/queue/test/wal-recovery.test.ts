// WalQueue after a crash or damage: what reopening its write-ahead log gives
// back, how it numbers on, what it refuses and what repairWal keeps.
import { spawn } from 'node:child_process';
import { appendFile, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../../test/support/wait.js';
import { WalDamagedError, repairWal } from '../src/index.js';
import { crc32 } from '../src/wal/record.js';
import { drain, limits, msg, open, segments, signal, tempDir, text, texts } from './wal-helpers.js';

describe('WalQueue recovery', () => {
  it('after a crash, gives back every message, the planned delivery first and exactly, under the same token', async () => {
    const dir = await tempDir();
    const q1 = await open(dir);
    const received: number[] = [];
    for (let i = 0; i < 10; i++) await q1.send({ ...text(`m${i}`), decoded: { series: [], run: null } as never });
    const planned = await q1.next({ ...limits, maxPoints: 4 }, signal);
    received.push(...planned!.messages.map((m) => m.receivedMs));
    // Dropped without close or commit: a SIGKILL, as far as the files know.
    const q2 = await open(dir);
    expect(q2.depth()).toEqual({ messages: 10, points: 10, bytes: 20 });
    const again = await q2.next({ ...limits, maxPoints: 1000 }, signal);
    expect(again!.token).toBe(planned!.token);
    expect(texts(again)).toEqual(['m0', 'm1', 'm2', 'm3']);
    expect(again!.messages.map((m) => m.receivedMs)).toEqual(received);
    expect(again!.messages[0]!.decoded).toBeUndefined();
    await again!.commit();
    const rest = await q2.next({ ...limits, maxPoints: 1000 }, signal);
    expect(texts(rest)).toEqual(['m4', 'm5', 'm6', 'm7', 'm8', 'm9']);
    expect(rest!.token.endsWith(':4-9')).toBe(true);
  });

  it('never gives back committed messages, and keeps numbering after them', async () => {
    const dir = await tempDir();
    const q1 = await open(dir);
    for (let i = 0; i < 5; i++) await q1.send(text(`m${i}`));
    await drain(q1);
    await q1.send(text('m5'));
    const q2 = await open(dir);
    const [d, ...more] = await drain(q2);
    expect(texts(d!)).toEqual(['m5']);
    expect(more).toHaveLength(0);
    await q2.send(text('m6'));
    const q3 = await open(dir);
    const [e] = await drain(q3);
    expect(texts(e!)).toEqual(['m6']);
    expect(e!.token.endsWith(':6-6')).toBe(true);
  });

  it('cuts off a torn or corrupt record at the end of the log, and appends after it', async () => {
    const dir = await tempDir();
    const q1 = await open(dir);
    for (let i = 0; i < 3; i++) await q1.send(text(`m${i}`));
    const [name] = await segments(dir);
    const path = join(dir, name!);
    const good = (await stat(path)).size;
    // Half a record: a length promising more bytes than follow.
    await appendFile(path, Buffer.from([200, 0, 0, 0, 1, 2, 3, 4, 1, 0, 0]));
    const q2 = await open(dir);
    expect(q2.depth().messages).toBe(3);
    expect((await stat(path)).size).toBe(good);
    // The last record's checksum no longer matches its bytes.
    const bytes = await readFile(path);
    bytes[bytes.length - 1] = bytes.at(-1)! ^ 0xff;
    await writeFile(path, bytes);
    const q3 = await open(dir);
    expect(q3.depth().messages).toBe(2);
    await q3.send(text('m3'));
    const q4 = await open(dir);
    expect((await drain(q4)).flatMap(texts)).toEqual(['m0', 'm1', 'm3']);
  });

  it('refuses to open on damage with records after it, naming file, byte, records and the repair; repair keeps the rest', async () => {
    const dir = await tempDir();
    const q1 = await open(dir);
    for (let i = 0; i < 10; i++) await q1.send(text(`message ${i}`));
    await drain(q1);
    for (let i = 10; i < 20; i++) await q1.send(text(`message ${i}`));
    const [name] = await segments(dir);
    const path = join(dir, name!);
    // One flipped byte inside the body of m14, of the 20 data records and the plan and commit of 0-9.
    const bytes = await readFile(path);
    const at = bytes.indexOf('message 14');
    // The record's frame: length and checksum (8 bytes), then type, seq, time and points (21).
    const frameAt = at - 29;
    bytes[at + 3]! ^= 0x01;
    await writeFile(path, bytes);
    const err = await open(dir, { repairHint: 'stepstream wal-repair --data X' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WalDamagedError);
    expect(err).toMatchObject({ segment: path, recordsAfter: 5 });
    const offset = (err as WalDamagedError).offset;
    expect(offset).toBe(frameAt);
    expect((err as Error).message).toContain(`${path} is damaged at byte ${offset}`);
    expect((err as Error).message).toContain('5 valid records follow');
    expect((err as Error).message).toContain('`stepstream wal-repair --data X`');

    const report = await repairWal(dir);
    expect(report.damage).toHaveLength(1);
    expect(report.damage[0]).toMatchObject({ segment: path, from: offset });
    expect(await readFile(report.damage[0]!.savedAs)).toEqual(bytes.subarray(offset, report.damage[0]!.to));
    expect(report.lost).toEqual([{ first: 14, last: 14 }]);
    expect(report.nextSeq).toBe(20);
    const q2 = await open(dir);
    const after = await drain(q2);
    expect(after.flatMap(texts)).toEqual([10, 11, 12, 13, 15, 16, 17, 18, 19].map((i) => `message ${i}`));
    await q2.send(text('new'));
    const [d] = await drain(q2);
    expect(d!.token.endsWith(':20-20')).toBe(true);
    // Repaired: nothing is left to repair.
    expect((await repairWal(dir)).damage).toEqual([]);
  });

  it('never numbers a batch as one the store may have seen, after a torn tail is cut', async () => {
    const dir = await tempDir();
    const q1 = await open(dir);
    for (let i = 0; i < 5; i++) await q1.send(text(`m${i}`));
    const tokens = (await drain(q1)).map((d) => d.token);
    const [name] = await segments(dir);
    const path = join(dir, name!);
    const stored = (await stat(path)).size;
    for (let i = 5; i < 10; i++) await q1.send(text(`m${i}`));
    tokens.push(...(await drain(q1)).map((d) => d.token));
    expect(tokens.at(-1)).toMatch(/:5-9$/);
    // Zeros from the first record of m5 on: its records and the plan and commit
    // of 5-9 are gone with nothing readable after them, as after a torn write.
    const bytes = await readFile(path);
    bytes.fill(0, stored);
    await writeFile(path, bytes);
    const q2 = await open(dir);
    expect(q2.depth().messages).toBe(0);
    await q2.send(text('after'));
    const [d] = await drain(q2);
    const first = Number(/:(\d+)-\d+$/.exec(d!.token)![1]);
    expect(first).toBeGreaterThan(9);
    expect(tokens).not.toContain(d!.token);
  });

  it('refuses to open when a segment other than the last is damaged', async () => {
    const dir = await tempDir();
    const q = await open(dir, { segmentBytes: 100 });
    for (let i = 0; i < 5; i++) await q.send(msg(1, 80));
    const [first] = await segments(dir);
    await appendFile(join(dir, first!), Buffer.from([1, 2, 3]));
    await expect(open(dir)).rejects.toThrow(/damaged/);
  });

  it('rotates segments by size and deletes those whose records are all committed', async () => {
    const dir = await tempDir();
    const q1 = await open(dir, { segmentBytes: 1000 });
    for (let i = 0; i < 30; i++) await q1.send(msg(1, 200, i));
    expect((await segments(dir)).length).toBeGreaterThan(4);
    const first = await q1.next({ ...limits, maxPoints: 10 }, signal);
    await first!.commit();
    const left = (await segments(dir)).length;
    expect(left).toBeGreaterThan(1);
    const q2 = await open(dir, { segmentBytes: 1000 });
    expect(q2.depth().messages).toBe(20);
    expect((await drain(q2)).flatMap((d) => d.messages.map((m) => m.value[0]))).toEqual(Array.from({ length: 20 }, (_, i) => i + 10));
    expect(await segments(dir)).toHaveLength(1);
    const q3 = await open(dir, { segmentBytes: 1000 });
    expect(q3.depth().messages).toBe(0);
    await q3.send(msg(1));
    expect((await q3.next(limits, signal))!.token.endsWith(':30-30')).toBe(true);
  });

  it('frames records with the standard CRC-32, chainable', () => {
    const data = new TextEncoder().encode('The quick brown fox jumps over the lazy dog');
    expect(crc32(data)).toBe(0x414fa339);
    expect(crc32(data.subarray(10), crc32(data.subarray(0, 10)))).toBe(0x414fa339);
  });

  it('keeps every acknowledged message of a process killed with SIGKILL mid-stream', async () => {
    const dir = await tempDir();
    // The child's account of what it did, complete up to its death however
    // slowly this process read it (fixtures/journal.mjs: why not its stdout).
    const journal = join(await tempDir(), 'journal');
    const child = spawn(process.execPath, [fileURLToPath(new URL('./fixtures/wal-writer.mjs', import.meta.url)), dir, journal], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (b: Buffer) => { err += b.toString(); });
    const exited = new Promise((r) => child.once('exit', r));
    const read = () => readFile(journal, 'latin1').catch(() => '');
    const going = await waitFor('the writer to commit three times and acknowledge 5000 messages', async () => {
      if (child.exitCode !== null) return false;
      const out = await read();
      return /commit[\s\S]*commit[\s\S]*commit/.test(out) && (out.match(/^ack /gm)?.length ?? 0) >= 5000 ? true : undefined;
    }, 20_000, 20).catch((e: unknown) => { throw new Error(`${(e as Error).message}; the writer said: ${err}`); });
    if (!going) throw new Error(`writer exited before getting going: ${err}`);
    child.kill('SIGKILL');
    await exited;

    // Dead: every line it wrote is in the file. A last line without its
    // newline is one the kill cut: the child never went on past it.
    const out = await read();
    const lines = out.slice(0, out.lastIndexOf('\n')).split('\n');
    const acked = lines.filter((l) => l.startsWith('ack ')).map((l) => l.slice(4));
    const plans = new Map(lines.filter((l) => l.startsWith('plan ')).map((l) => { const [, token, ids] = l.split(' '); return [token!, ids!.split(',')] as const; }));
    const commits = new Set(lines.filter((l) => l.startsWith('commit ')).map((l) => l.slice(7)));
    const committed = new Set([...plans].filter(([t]) => commits.has(t)).flatMap(([, ids]) => ids));
    const unfinishedPlans = [...plans].filter(([t]) => !commits.has(t));
    expect(unfinishedPlans.length).toBeLessThanOrEqual(1);

    const q = await open(dir, { maxPoints: 1e9, maxBytes: 1 << 30 });
    const deliveries = await drain(q);
    const recovered = deliveries.flatMap((d) => d.messages.map((m) => Buffer.from(m.value).toString('latin1', 0, 16).split(';')[0]!));
    expect(new Set(recovered).size).toBe(recovered.length);
    for (const id of recovered) expect(committed.has(id)).toBe(false);
    const got = new Set(recovered);
    // The delivery planned when the process died: replayed exactly, first, or
    // (its commit reached the log unprinted) gone entirely.
    const [unfinished] = unfinishedPlans;
    if (unfinished) {
      const [token, ids] = unfinished;
      if (ids.some((id) => got.has(id))) {
        expect(deliveries[0]!.token).toBe(token);
        expect(recovered.slice(0, ids.length)).toEqual(ids);
      }
    }
    const lost = acked.filter((id) => !got.has(id) && !committed.has(id) && !unfinished?.[1].includes(id));
    expect(lost).toEqual([]);
  });
});
