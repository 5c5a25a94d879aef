#!/usr/bin/env node
// stepstream-sync DIR [--url URL] [--api-key KEY]: uploads a spool, resuming
// where an earlier sync stopped. Exit 0 when all was sent, 1 when some
// batches were refused (kept under rejected/), 3 when it had to stop (run it
// again to resume), 2 on a usage error.
import { parseArgs } from 'node:util';
import { sync } from './sync.js';
import { errorText } from './ingest-client.js';

const usage = `usage: stepstream-sync DIR [--url URL] [--api-key KEY] [--quiet]
  url: --url, else STEPSTREAM_URL, else the url each spool was written for, else http://127.0.0.1:4300
  api key: --api-key, else STEPSTREAM_API_KEY`;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { url: { type: 'string' }, 'api-key': { type: 'string' }, quiet: { type: 'boolean', short: 'q' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) { console.log(usage); return 0; }
  const dir = positionals[0];
  const url = values.url ?? (process.env['STEPSTREAM_URL'] || undefined);
  if (!dir || positionals.length > 1) { console.error(usage); return 2; }
  const apiKey = values['api-key'] ?? process.env['STEPSTREAM_API_KEY'];
  const onBatch = values.quiet ? undefined : (i: { file: string; points: number; done: number; total: number }): void => {
    console.log(`[${i.done}/${i.total}] ${i.points} points  ${i.file}`);
  };
  try {
    const r = await sync(dir, url, { ...(apiKey ? { apiKey } : {}), ...(onBatch ? { onBatch } : {}) });
    console.log(`stepstream-sync: ${r.batchesSent} batches sent (${r.pointsAccepted} points accepted), ${r.batchesRejected} refused, ${r.batchesLeft} left`);
    return r.batchesRejected > 0 ? 1 : 0;
  } catch (err) {
    console.error(errorText(err));
    return 3;
  }
}

process.exitCode = await main();
