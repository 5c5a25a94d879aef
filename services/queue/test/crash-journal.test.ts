// The journal crash-test children keep (fixtures/journal.mjs): what a child
// wrote before a SIGKILL is all there when it is read after the kill.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from './wal-helpers.js';

describe('crash-test journal', () => {
  it('holds every line a child wrote before it was killed with SIGKILL, though nobody read it meanwhile', async () => {
    const journal = join(await tempDir(), 'journal');
    // 20,000 lines (about 200 KB: more than a pipe holds, so through stdout
    // most would still sit in the child's memory), then the child kills
    // itself at once, the moment a crash test's kill could land.
    const script = `
      const { openJournal } = await import(${JSON.stringify(new URL('./fixtures/journal.mjs', import.meta.url).href)});
      const out = openJournal(process.env.JOURNAL);
      for (let i = 0; i < 20000; i++) out('ack m' + i);
      process.kill(process.pid, 'SIGKILL');`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, JOURNAL: journal }, stdio: 'ignore' });
    const signal = await new Promise((r) => child.once('exit', (_code, sig) => r(sig)));
    expect(signal).toBe('SIGKILL');
    const lines = (await readFile(journal, 'latin1')).split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toEqual(Array.from({ length: 20000 }, (_, i) => `ack m${i}`));
  });
});
