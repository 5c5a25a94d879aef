// The one thing Node code takes from this package: where the built dashboard is.
// (The query role serves that directory; it never imports browser code.)
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const webDistDir = join(dirname(fileURLToPath(import.meta.url)), 'dist');
