// Where a process's CPU went, from a V8 CPU profile (node --cpu-prof): self
// time by package or file, and the functions with the most self time; given
// the number of requests the process served, also µs per request.
//   node bench/dist/cpu-profile-top.js FILE.cpuprofile [functions=30] [requests]
import { readFileSync } from 'node:fs';

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface Profile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

/** The package (node_modules/NAME), the workspace package (services/NAME, proto), node's own module, a native function, or V8's pseudo-frames ((idle), (garbage collector), …). */
export function placeOf(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : `(${fn || 'native'})`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return pkg[1]!;
  const ws = /\/(services\/[^/]+|proto|clients\/[^/]+|bench)\//.exec(url);
  if (ws) return ws[1]!;
  const internal = /^node:(?:internal\/)?([^/]+(?:\/[^/]+)?)/.exec(url);
  return internal ? `node:${internal[1]}` : url;
}

export function summarize(p: Profile): { totalMs: number; places: [string, number][]; functions: [string, number][] } {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000));
  const places = new Map<string, number>(), functions = new Map<string, number>();
  for (const [id, ms] of self) {
    const f = byId.get(id)!.callFrame;
    const place = placeOf(f.url, f.functionName);
    places.set(place, (places.get(place) ?? 0) + ms);
    const name = `${f.functionName || '(anonymous)'} ${place}${f.url ? `:${f.lineNumber + 1}` : ''}`;
    functions.set(name, (functions.get(name) ?? 0) + ms);
  }
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  return { totalMs: (p.endTime - p.startTime) / 1000, places: sorted(places), functions: sorted(functions) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, top = '30', requests] = process.argv.slice(2);
  if (!file) { process.stderr.write('usage: cpu-profile-top.js FILE.cpuprofile [functions] [requests]\n'); process.exit(2); }
  const s = summarize(JSON.parse(readFileSync(file, 'utf8')) as Profile);
  const busy = s.places.filter(([p]) => p !== '(idle)').reduce((a, [, ms]) => a + ms, 0);
  const pct = (ms: number) => `${((100 * ms) / busy).toFixed(1).padStart(5)}%${requests ? ` ${((1000 * ms) / Number(requests)).toFixed(1).padStart(6)} µs` : ''}`;
  const perRequest = requests ? `, ${((1000 * busy) / Number(requests)).toFixed(1)} µs busy per request` : '';
  process.stdout.write(`${(s.totalMs / 1000).toFixed(1)} s profiled, ${(busy / 1000).toFixed(1)} s busy${perRequest} (shares below are of the busy time)\n\nby place:\n`);
  for (const [place, ms] of s.places) if (place !== '(idle)') process.stdout.write(`${pct(ms)}  ${place}\n`);
  process.stdout.write('\nfunctions, by self time:\n');
  for (const [name, ms] of s.functions.filter(([n]) => !n.startsWith('(idle) ')).slice(0, Number(top))) process.stdout.write(`${pct(ms)}  ${name}\n`);
}
