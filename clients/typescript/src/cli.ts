#!/usr/bin/env node
// stepstream-sync-js DIR [--url URL] [--api-key KEY]: uploads a spool,
// resuming where an earlier sync stopped. (The Python client's command is
// stepstream-sync; both can be on one PATH.) Exit statuses, the same as
// the Python command's: 0 all sent, 1 some batches refused as invalid (kept
// under rejected/), 2 the server refused the key, 3 it had to stop (server
// unreachable: run it again to resume), 64 a usage error.
import { statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { StepstreamError } from './errors.js';
import { sync } from './sync.js';
import { errorText } from './ingest-client.js';
import { VERSION } from './version.js';

const EXIT = { ok: 0, rejected: 1, refusedKey: 2, incomplete: 3, usage: 64 } as const;

const usage = `usage: stepstream-sync-js DIR [--url URL] [--api-key KEY] [--quiet] [--version]
  url: --url, else STEPSTREAM_URL, else the url each spool was written for, else http://127.0.0.1:4300
  api key: --api-key, else STEPSTREAM_API_KEY`;

function isDirectory(path: string): boolean {
  try { return statSync(path).isDirectory(); } catch { return false; }
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: { url: { type: 'string' }, 'api-key': { type: 'string' }, quiet: { type: 'boolean', short: 'q' }, help: { type: 'boolean', short: 'h' }, version: { type: 'boolean', short: 'V' } },
    });
  } catch (err) {
    console.error(`${errorText(err)}\n${usage}`);
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  if (values.help) { console.log(usage); return EXIT.ok; }
  if (values.version) { console.log(`stepstream-sync-js ${VERSION}`); return EXIT.ok; }
  const dir = positionals[0];
  const url = values.url ?? (process.env['STEPSTREAM_URL'] || undefined);
  if (!dir || positionals.length > 1) { console.error(usage); return EXIT.usage; }
  if (!isDirectory(dir)) { console.error(`stepstream-sync-js: ${dir} is not a directory`); return EXIT.usage; }
  const apiKey = values['api-key'] ?? process.env['STEPSTREAM_API_KEY'];
  const onBatch = values.quiet ? undefined : (i: { file: string; points: number; done: number; total: number }): void => {
    console.log(`[${i.done}/${i.total}] ${i.points} points  ${i.file}`);
  };
  try {
    const r = await sync(dir, url, { ...(apiKey ? { apiKey } : {}), ...(onBatch ? { onBatch } : {}) });
    console.log(`stepstream-sync-js: ${r.batchesSent} batches sent (${r.pointsAccepted} points accepted), ${r.batchesRejected} refused, ${r.batchesLeft} left, ${r.spoolsSkipped} spools skipped (in use)`);
    return r.batchesRejected > 0 ? EXIT.rejected : EXIT.ok;
  } catch (err) {
    console.error(errorText(err));
    return err instanceof StepstreamError && err.code === 'SS_ERR_CLIENT_UNAUTHORIZED' ? EXIT.refusedKey : EXIT.incomplete;
  }
}

process.exitCode = await main();
