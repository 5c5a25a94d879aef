// The npm registry reachable from our build machines serves chdb's Linux x64
// build only, so `npm install` leaves chdb's other optional platform packages
// out of package-lock.json, and `npm ci` then refuses the lock. This puts
// their entries back (os/cpu-gated, never fetched on Linux x64). Run it after
// any `npm install` that rewrote the lock.
import { readFileSync, writeFileSync } from 'node:fs';

const file = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(file, 'utf8'));
const chdb = lock.packages['node_modules/chdb'];
let added = 0;
for (const [name, version] of Object.entries(chdb?.optionalDependencies ?? {})) {
  const key = `node_modules/${name}`;
  if (lock.packages[key]) continue;
  const [, os, cpu] = /lib-(darwin|linux)-(arm64|x64)/.exec(name) ?? [];
  lock.packages[key] = { version, license: 'Apache-2.0', optional: true, os: [os], cpu: [cpu], ...(os === 'linux' ? { libc: ['glibc'] } : {}) };
  added++;
}
lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0)));
writeFileSync(file, JSON.stringify(lock, null, 2) + '\n');
console.log(`package-lock.json: ${added} chdb platform entries added`);
