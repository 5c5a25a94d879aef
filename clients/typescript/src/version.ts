// The client's version: package.json's, the one place it is written. Read
// at load time (src/ and dist/ both sit beside package.json, and npm always
// packs it), so a release bumps one line.
import { readFileSync } from 'node:fs';

export const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** What the client calls itself: the User-Agent it sends and the `sdk` entry of run.meta. */
export const SDK = `stepstream-ts/${VERSION}`;
