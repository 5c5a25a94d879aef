// A/B of the all-in-one server between two checkouts, interleaved, same load:
// node bench/dist/ab.js DIR_A DIR_B [rounds] [steps]; a DIR may carry node flags and server arguments: 'DIR|--flag,--flag|--arg,value'. Prints server CPU µs/point and queryable points/s.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStepstream } from './procs.js';
import { sendAll } from './sender.js';
import { buildBatches, pointsOf, QUICK } from './workload.js';
import { waitQueryable } from './all-in-one.js';

const [a, b, roundsText = '3', stepsText = '1200'] = process.argv.slice(2);
const w = { ...QUICK, steps: Number(stepsText) };
const batches = buildBatches(w, 'bench');
const runs = [...new Set(batches.map((x) => x.run))];
const out: Record<string, { cpu: number[]; rate: number[] }> = { [a!]: { cpu: [], rate: [] }, [b!]: { cpu: [], rate: [] } };
for (let r = 0; r < Number(roundsText); r++) {
  for (const tree of r % 2 ? [b!, a!] : [a!, b!]) {
    const dir = mkdtempSync(join(tmpdir(), 'ss-ab-'));
    const [root, flags, args] = tree.split('|');
    const ss = await startStepstream(['--data', dir, ...(args ? args.split(',') : [])], {}, { cli: join(root!, 'services/cli/dist/index.js'), nodeArgs: flags ? flags.split(',') : [] });
    const c0 = ss.cpuSeconds();
    const t0 = performance.now();
    const sent = await sendAll(ss.url, batches, 16);
    const t1 = await waitQueryable(ss.url, 'bench', runs, pointsOf(w));
    const cpu = ss.cpuSeconds() - c0;
    out[tree]!.cpu.push((cpu * 1e6) / sent.points);
    out[tree]!.rate.push(sent.points / ((t1 - t0) / 1000));
    console.log(tree, ((cpu * 1e6) / sent.points).toFixed(3), 'µs/pt', Math.round(sent.points / ((t1 - t0) / 1000)), 'pts/s');
    await ss.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
const med = (x: number[]) => [...x].sort((p, q) => p - q)[x.length >> 1]!;
for (const [k, v] of Object.entries(out)) console.log(`${k}: median ${med(v.cpu).toFixed(3)} µs/pt, ${Math.round(med(v.rate))} pts/s`);
