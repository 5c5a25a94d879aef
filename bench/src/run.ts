// npm run bench (--quick) / npm run bench:full: every benchmark, one table each, JSON in bench/results/.
import { benchAllInOne } from './all-in-one.js';
import { benchLimit } from './limit.js';
import { printTable, writeResult, fmt } from './report.js';
import { FULL, QUICK } from './workload.js';

const full = process.argv.includes('--full');
const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7).split(',');
const want = (name: string) => !only || only.includes(name);
const w = full ? FULL : QUICK;

async function main(): Promise<void> {
  let limit = NaN;
  if (want('limit') || want('all-in-one') || want('pipeline')) {
    const r = await benchLimit(w);
    limit = r.pointsPerSec;
    printTable(`limit: the engine inserting the same rows into the same schema (${r.workload})`, [
      { figure: 'engine INSERT…SELECT, with views', value: r.pointsPerSec, unit: 'points/s' },
      { figure: 'engine INSERT…SELECT, no views', value: r.noViewsPointsPerSec, unit: 'points/s' },
    ]);
    writeResult('limit', r);
  }
  if (want('all-in-one')) {
    const r = await benchAllInOne(w);
    printTable(`all-in-one (${r.workload})`, [
      { figure: 'queryable points/s', value: r.pointsPerSec, unit: 'points/s', target: '≥ 2,000,000', met: r.pointsPerSec >= 2e6 },
      { figure: 'ratio to limit', value: r.pointsPerSec / limit, unit: '×', target: '≥ 0.5', met: r.pointsPerSec / limit >= 0.5 },
      { figure: 'acknowledged points/s', value: r.ackedPerSec, unit: 'points/s' },
      { figure: 'freshness p50', value: r.freshP50Ms, unit: 'ms' },
      { figure: 'freshness p99', value: r.freshP99Ms, unit: 'ms', target: '< 2000', met: r.freshP99Ms < 2000 },
      { figure: 'peak RSS', value: r.peakRssMb['stepstream']!, unit: 'MB' },
    ]);
    writeResult('all-in-one', r);
    process.stdout.write(`(${fmt(r.points)} points in ${r.seconds.toFixed(1)} s, ${r.retries} retries after 503)\n`);
  }
}

main().catch((err: unknown) => { console.error(err); process.exit(1); });
