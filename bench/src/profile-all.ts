// Sends the quick workload to an already running Stepstream (for profiling it): node bench/dist/profile-all.js URL [steps]
import { sendAll } from './sender.js';
import { buildBatches, QUICK, pointsOf } from './workload.js';
import { waitQueryable } from './all-in-one.js';

const url = process.argv[2] ?? 'http://127.0.0.1:4300';
const w = { ...QUICK, steps: Number(process.argv[3] ?? QUICK.steps) };
const batches = buildBatches(w, 'bench');
const runs = [...new Set(batches.map((b) => b.run))];
const t0 = performance.now();
const r = await sendAll(url, batches, 16);
const t1 = performance.now();
await waitQueryable(url, 'bench', runs, pointsOf(w));
const t2 = performance.now();
console.log(`acked ${(r.points / ((t1 - t0) / 1000)).toFixed(0)} points/s, queryable ${(r.points / ((t2 - t0) / 1000)).toFixed(0)} points/s`);
