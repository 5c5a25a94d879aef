// The run list a query should answer, computed from the runs a test sent:
// which runs match the filters, in what order (runs without the key last,
// ties by id, strings by their UTF-8 bytes as the engine compares them), and
// each run's metric figures over its effective points.

export interface RefPoint { step: number; value: number; rank: number }

/** A run as sent: its RunInfo (absent: none sent) and its effective points per metric. */
export interface RefRun {
  id: string;
  info?: { name: string; tags: string[]; status: number; config: Record<string, unknown>; startedMs: number };
  points: Record<string, RefPoint[]>;
}

export interface RefQuery {
  q?: string;
  tag?: string[];
  status?: string;
  config?: Record<string, string>;
  sort?: string;
  summary?: string[];
}

const STATUS = ['running', 'running', 'finished', 'failed', 'crashed'];

const bytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** A metric's last value (highest step, lowest rank there), min and max over finite values; null: no points. */
export function refFigures(run: RefRun, metric: string): { last: number; min: number | null; max: number | null } | null {
  const pts = run.points[metric];
  if (!pts?.length) return null;
  let last = pts[0]!;
  for (const p of pts) if (p.step > last.step || (p.step === last.step && p.rank < last.rank)) last = p;
  const finite = pts.map((p) => p.value).filter(Number.isFinite);
  return { last: last.value, min: finite.length ? finite.reduce((a, b) => Math.min(a, b)) : null, max: finite.length ? finite.reduce((a, b) => Math.max(a, b)) : null };
}

export function refLastStep(run: RefRun): number | null {
  let last: number | null = null;
  for (const pts of Object.values(run.points)) for (const p of pts) last = last === null ? p.step : Math.max(last, p.step);
  return last;
}

/** The filter value as the API compares it: a JSON number, true, false or null as that, else the text. */
function want(text: string): unknown {
  try {
    const v: unknown = JSON.parse(text);
    if (v === null || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) return v;
  } catch { /* a string */ }
  return text;
}

function configAt(config: Record<string, unknown>, path: string[]): { has: boolean; value?: unknown } {
  let v: unknown = config;
  for (const k of path) {
    if (v === null || typeof v !== 'object' || Array.isArray(v) || !Object.hasOwn(v, k)) return { has: false };
    v = (v as Record<string, unknown>)[k];
  }
  return { has: true, value: v };
}

export function refMatches(run: RefRun, q: RefQuery): boolean {
  const name = run.info?.name ?? '';
  if (q.q !== undefined && !name.toLowerCase().includes(q.q.toLowerCase()) && !run.id.toLowerCase().includes(q.q.toLowerCase())) return false;
  if (q.tag && !q.tag.every((t) => run.info?.tags.includes(t))) return false;
  if (q.status !== undefined && STATUS[run.info?.status ?? 0] !== q.status) return false;
  for (const [key, text] of Object.entries(q.config ?? {})) {
    const at = configAt(run.info?.config ?? {}, key.split('.'));
    if (!at.has) return false;
    const w = want(text);
    if (typeof w === 'number' ? typeof at.value !== 'number' || at.value !== w : at.value !== w) return false;
  }
  return true;
}

/** The run's sort key, or undefined: it has none (a NaN last value counts as none). */
function keyOf(run: RefRun, by: string): string | number | undefined {
  if (by === 'id') return run.id;
  if (by === 'name') return run.info?.name || undefined;
  if (by === 'started_ms') return run.info?.startedMs || undefined;
  if (by === 'last_step') return refLastStep(run) ?? undefined;
  const f = refFigures(run, by.slice('summary.'.length));
  return f === null || Number.isNaN(f.last) ? undefined : f.last;
}

/** The ids of the matching runs, in the list's order. */
export function refList(runs: readonly RefRun[], q: RefQuery): string[] {
  const sort = q.sort ?? 'id';
  const desc = sort.startsWith('-');
  const by = desc ? sort.slice(1) : sort;
  const keyed = runs.filter((r) => refMatches(r, q)).map((r) => ({ id: r.id, key: keyOf(r, by) }));
  keyed.sort((a, b) => {
    if ((a.key === undefined) !== (b.key === undefined)) return a.key === undefined ? 1 : -1;
    if (a.key !== undefined && b.key !== undefined && a.key !== b.key) {
      const c = typeof a.key === 'string' ? bytes(a.key, b.key as string) : a.key < (b.key as number) ? -1 : 1;
      return desc ? -c : c;
    }
    return bytes(a.id, b.id);
  });
  return keyed.map((k) => k.id);
}

/** The query string of a RefQuery (and a page's limit and cursor). */
export function refQueryString(q: RefQuery, extra: Record<string, string> = {}): string {
  const p = new URLSearchParams();
  if (q.q !== undefined) p.append('q', q.q);
  for (const t of q.tag ?? []) p.append('tag', t);
  if (q.status !== undefined) p.append('status', q.status);
  for (const [k, v] of Object.entries(q.config ?? {})) p.append(`config.${k}`, v);
  if (q.sort !== undefined) p.append('sort', q.sort);
  if (q.summary) p.append('summary', q.summary.join(','));
  for (const [k, v] of Object.entries(extra)) p.append(k, v);
  return p.toString();
}
