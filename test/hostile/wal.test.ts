// The all-in-one write-ahead log under damage, end to end: a real process is
// killed (SIGKILL), its log damaged, and the next start must neither drop
// acknowledged batches silently nor give new batches tokens the store has seen.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeRequest } from '../support/requests.js';
import { CLI, startChild, type Child } from '../support/process.js';
import { getJson } from '../support/stepstream.js';
import { waitFor } from '../support/wait.js';

const POINTS = 1000;
const children: Child[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const c of children) await c.stop(2000);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function dataDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'ss-wal-'));
  dirs.push(d);
  return d;
}

async function start(dir: string, flushMs: number): Promise<Child> {
  const c = await startChild(['--data', dir, '--flush-ms', String(flushMs)]);
  children.push(c);
  return c;
}

async function send(c: Child, project: string, client: string, s: number): Promise<void> {
  const steps = Array.from({ length: POINTS }, (_, i) => s * POINTS + i);
  const body = encodeRequest({ project, runId: 'r', clientId: client, sequence: s, series: [{ metric: 'm', rank: 0, steps, values: steps.map((x) => x / 7) }] });
  const res = await fetch(`${c.url}/v1/ingest`, { method: 'POST', body, headers: { 'content-type': 'application/x-protobuf' } });
  await res.arrayBuffer();
  expect(res.status).toBe(202);
}

async function kill(c: Child): Promise<void> {
  c.proc.kill('SIGKILL');
  await c.exited;
}

const flushes = async (c: Child) => Number(/^stepstream_writer_flushes_total (\d+)/m.exec(await (await fetch(`${c.url}/metrics`)).text())?.[1] ?? 0);
const stored = async (c: Child, project: string) => {
  const { status, body } = await getJson(`${c.url}/v1/projects/${project}/runs/r`);
  return status === 200 ? (body.metrics[0].count as number) : 0;
};

/** Offsets of the DATA records of a segment, by seq. */
function dataRecords(buf: Buffer): Map<number, number> {
  const out = new Map<number, number>();
  for (let off = 0; off + 8 <= buf.length; off += 8 + buf.readUInt32LE(off)) {
    if (buf[off + 8] === 1) out.set(buf.readDoubleLE(off + 9), off);
  }
  return out;
}

function activeSegment(dir: string): string {
  const names = readdirSync(join(dir, 'wal')).filter((n) => n.endsWith('.wal')).sort();
  return join(dir, 'wal', names.at(-1)!);
}

describe('write-ahead log damage (all-in-one)', () => {
  it('refuses to start on a flipped byte with records after it; the repair stores every other batch once', async () => {
    const dir = dataDir();
    // A long flush age: the 40 batches are acknowledged, not yet stored, when the kill lands.
    const first = await start(dir, 60_000);
    for (let s = 0; s < 40; s++) await send(first, 'flip', 'c', s);
    await kill(first);

    const path = activeSegment(dir);
    const buf = readFileSync(path);
    const at = dataRecords(buf).get(20)!;
    buf[at + 8 + 21 + 100]! ^= 0x10;
    writeFileSync(path, buf);

    const refused = await start(dir, 50).then(() => null, (err: Error) => err.message);
    expect(refused).toContain(`${path} is damaged at byte ${at}`);
    expect(refused).toMatch(/\b\d+ valid records follow/);
    expect(refused).toContain(`stepstream wal-repair --data ${dir}`);

    const out = execFileSync(process.execPath, [CLI, 'wal-repair', '--data', dir], { encoding: 'utf8' });
    expect(out).toContain(`damaged: ${path} bytes ${at}-`);
    expect(out).toContain('lost: sequence numbers 20-20');

    const second = await start(dir, 50);
    const count = await waitFor('replayed points', async () => ((await stored(second, 'flip')) >= 39 * POINTS ? stored(second, 'flip') : undefined), 30_000, 100);
    expect(count).toBe(39 * POINTS);
    // and nothing twice in the tiers either
    const s = await getJson(`${second.url}/v1/projects/flip/runs/r/series?metric=m&rank=0&points=3`);
    expect((s.body.count as number[]).reduce((a, b) => a + b, 0)).toBe(39 * POINTS);
  }, 120_000);

  it('cuts a torn tail, and stores the batches after the restart under fresh tokens', async () => {
    const dir = dataDir();
    const first = await start(dir, 0);
    // One batch per delivery: tokens wal:<id>:0-0 ... 9-9, each stored.
    for (let s = 0; s < 10; s++) {
      await send(first, 'torn', 'a', s);
      await waitFor('the batch stored', async () => ((await flushes(first)) > s ? true : undefined));
    }
    expect(await stored(first, 'torn')).toBe(10 * POINTS);
    await kill(first);

    // Zeros from the record of seq 5 on: its records, plans and commits are
    // gone with nothing readable after them, as after a torn write.
    const path = activeSegment(dir);
    const buf = readFileSync(path);
    buf.fill(0, dataRecords(buf).get(5)!);
    writeFileSync(path, buf);

    const second = await start(dir, 0);
    for (let s = 0; s < 10; s++) {
      await send(second, 'torn', 'b', 100 + s);
      await waitFor('the batch stored', async () => ((await flushes(second)) > s ? true : undefined));
    }
    expect(await stored(second, 'torn')).toBe(20 * POINTS);
  }, 120_000);
});
