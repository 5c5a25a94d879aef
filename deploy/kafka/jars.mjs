// The broker's jars: fetched from Maven Central with mvn (pom.xml) into lib/,
// once per version of pom.xml (lib/.stamp holds its sha256).
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCommand } from './run-command.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const POM = path.join(HERE, 'pom.xml');
export const LIB_DIR = path.join(HERE, 'lib');
const STAMP = '.stamp';

const noop = () => {};

function pomHash() {
  return createHash('sha256').update(fs.readFileSync(POM)).digest('hex');
}

function jarsPresent(dir, hash) {
  try {
    return fs.readFileSync(path.join(dir, STAMP), 'utf8').trim() === hash;
  } catch {
    return false;
  }
}

/**
 * Fetches the jars into lib/ unless lib/.stamp already holds the pom's sha256.
 * NOTE: mvn writes into a private temp dir that is renamed into place, so two
 * test workers fetching at once never see (or leave) a half-filled lib/.
 */
export async function ensureJars({ log = noop } = {}) {
  const hash = pomHash();
  if (jarsPresent(LIB_DIR, hash)) return LIB_DIR;
  const tmp = `${LIB_DIR}.tmp-${process.pid}-${randomBytes(3).toString('hex')}`;
  const started = Date.now();
  log(`fetching Kafka jars with mvn into ${LIB_DIR}`);
  try {
    await runCommand('mvn', ['-q', '-B', '-f', POM, `-Dkafka.lib.dir=${tmp}`, 'dependency:copy-dependencies']);
    fs.writeFileSync(path.join(tmp, STAMP), `${hash}\n`);
    if (!jarsPresent(LIB_DIR, hash)) {
      fs.rmSync(LIB_DIR, { recursive: true, force: true }); // stale: another pom version
      try {
        fs.renameSync(tmp, LIB_DIR);
      } catch (err) {
        // Another process won the race; fine if what it left is complete.
        if (!jarsPresent(LIB_DIR, hash)) throw err;
      }
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  log(`fetched Kafka jars in ${Date.now() - started} ms`);
  return LIB_DIR;
}
