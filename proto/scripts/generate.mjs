// Regenerates the static protobufjs module from the .proto contract.
// `--check` regenerates into a temp dir and fails when the committed code drifted.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const bin = (name) => join(root, '..', 'node_modules', '.bin', name);
const check = process.argv.includes('--check');
const out = check ? mkdtempSync(join(tmpdir(), 'ss-proto-')) : join(root, 'gen');
const js = join(out, 'ingest.js');
const dts = join(out, 'ingest.d.ts');

execFileSync(bin('pbjs'), ['-t', 'static-module', '-w', 'es6', '--force-number', '--no-verify', '--no-convert', '--no-delimited',
  '--es6', '-o', js, join(root, 'stepstream/v1/ingest.proto')], { stdio: 'inherit' });
// NodeNext ESM needs the explicit file extension on the runtime import.
writeFileSync(js, readFileSync(js, 'utf8').replace(/from "protobufjs\/minimal"/, 'from "protobufjs/minimal.js"'));
execFileSync(bin('pbts'), ['-o', dts, js], { stdio: 'inherit' });

if (check) {
  let drift = false;
  for (const f of ['ingest.js', 'ingest.d.ts']) {
    const fresh = readFileSync(join(out, f), 'utf8');
    const committed = readFileSync(join(root, 'gen', f), 'utf8');
    if (fresh !== committed) { console.error(`proto/gen/${f} differs from what ${f === 'ingest.js' ? 'pbjs' : 'pbts'} generates: run npm run proto:gen`); drift = true; }
  }
  rmSync(out, { recursive: true, force: true });
  process.exit(drift ? 1 : 0);
}
console.log(`generated ${js}`);
