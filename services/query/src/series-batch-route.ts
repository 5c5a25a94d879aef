// POST /v1/projects/:project/series: many series of a project's runs in one
// request (a dashboard's panels), each answered exactly as GET
// .../runs/:run/series answers it (the same reader, the same JSON text), in
// the order asked. A series that cannot be read answers the error body GET
// would answer, in its place, and the others are read.
import type { FastifyInstance } from 'fastify';
import { ServiceError, errorBody } from '@stepstream/runtime';
import { ReadRefusedError, type RunFacts } from '@stepstream/storage';
import { QueryErrors } from './errors.js';
import { ROUTES } from './route-schemas.js';
import { INLINE_BUCKETS, seriesAnswerJson } from './series-json.js';
import type { FetchFacts } from './lineage.js';
import { readSeriesBatch, type BatchReads } from './series-batch-reader.js';
import type { SeriesReader, SeriesReads, SeriesRequest } from './series-reader.js';

/**
 * Series of one request read at once. NOTE: each read waits in the store's
 * line of its project (engine-scheduler.ts), which runs a project's reads
 * one or a few at a time and refuses past 64 waiting: a request holds few
 * places in that line, so other requests of the project keep theirs.
 */
const READS_AT_ONCE = 4;
/** Buckets one request may ask for at most (queries × points): about 100 MB of answer. */
export const MAX_BATCH_BUCKETS = 1_000_000;

/** The body once route-schemas.ts has validated it. */
interface SeriesQuery { run: string; metric: string; rank?: number; attempt?: number }
interface SeriesBatch { queries: SeriesQuery[]; from?: number; to?: number; points?: number; x?: 'step' | 'time' }

/**
 * The scope's bodies are JSON: one that does not parse is a 400 naming
 * `body`, as a bad field is; another content type a 415.
 */
function jsonBodies(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    if (body === '') { done(null, undefined); return; }
    try {
      done(null, JSON.parse(body as string));
    } catch (err) {
      done(QueryErrors.param('body', `is not valid JSON: ${(err as Error).message}`), undefined);
    }
  });
  app.addContentTypeParser('*', (req, _payload, done) => {
    const got = req.headers['content-type'];
    done(new ServiceError('SS_ERR_CONTENT_TYPE', `content-type must be application/json, got ${got ? JSON.stringify(got) : 'none'}`, { header: 'content-type' }), undefined);
  });
}

export async function seriesBatchRoute(app: FastifyInstance, deps: { store: SeriesReads & BatchReads; reader: SeriesReader; defaultPoints: number }): Promise<void> {
  jsonBodies(app);
  app.post<{ Params: { project: string }; Body: SeriesBatch }>('/v1/projects/:project/series', ROUTES.seriesBatch, async (req, reply) => {
    const { project } = req.params;
    const { queries, from, to, points = deps.defaultPoints, x = 'step' } = req.body;
    if (from !== undefined && to !== undefined && to <= from) throw QueryErrors.param('to', `must be greater than from (${from}), got ${to}`);
    if (queries.length * points > MAX_BATCH_BUCKETS) {
      throw QueryErrors.param('points', `${queries.length} queries of ${points} points ask for more than ${MAX_BATCH_BUCKETS} buckets, the most one request answers: ask for fewer points, or split the queries`, { limit: MAX_BATCH_BUCKETS });
    }
    const times = x === 'time';
    const facts = factsOnce(project, queries.map((q) => q.run), deps.store);
    const requests = queries.map((q): SeriesRequest => ({
      project, run: q.run, metric: q.metric, rank: q.rank ?? -1, points, rankGiven: q.rank !== undefined, times, facts,
      lineage: q.attempt !== undefined ? { kind: 'attempt', attempt: q.attempt } : { kind: 'effective' },
      ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }),
    }));
    const read = await readSeriesBatch(deps.reader, deps.store, project, requests, times);
    // NOTE: a large batch's text is built on two threads: every other answer
    // by series-json.ts's worker, while the event loop builds the rest
    // (80 answers of 1000 buckets: ~36 ms of number-to-text on one).
    const share = read.reduce((n, a) => n + (a?.columns?.x.length ?? 0), 0) > INLINE_BUCKETS;
    const answers = await inTurns(requests, READS_AT_ONCE, async (q, i): Promise<string | Uint8Array> => {
      try {
        return await seriesAnswerJson(q.metric, q.rank, read[i] ?? await deps.reader.read(q), times, share && i % 2 === 1);
      } catch (err) {
        const failed = answeredInPlace(err);
        if (!failed) throw err;
        return JSON.stringify(errorBody(failed.code, failed.message, failed.details));
      }
    });
    return reply.type('application/json; charset=utf-8').send(joinAnswers(answers));
  });
}

/** `{"series":[...]}` of the answers' texts and bytes, written once into one buffer (no copy per answer). */
function joinAnswers(answers: readonly (string | Uint8Array)[]): Buffer {
  const head = '{"series":[', tail = ']}';
  let size = head.length + tail.length + Math.max(0, answers.length - 1);
  for (const a of answers) size += typeof a === 'string' ? Buffer.byteLength(a) : a.byteLength;
  const out = Buffer.allocUnsafe(size);
  let at = out.write(head, 0, 'latin1');
  answers.forEach((a, i) => {
    if (i) at += out.write(',', at, 'latin1');
    if (typeof a === 'string') at += out.write(a, at);
    else { out.set(a, at); at += a.byteLength; }
  });
  out.write(tail, at, 'latin1');
  return out;
}

/**
 * The lineage facts of a batch's runs, read once (the first time a series
 * needs them) for all of them, and of any parent a fork names, once each:
 * every series of a run is read over the same lineage.
 */
function factsOnce(project: string, runs: readonly string[], store: SeriesReads): FetchFacts {
  const known = new Map<string, RunFacts>(), asked = new Set<string>();
  let pending: Promise<void> = Promise.resolve();
  const fetch = (wanted: readonly string[]) => {
    const missing = [...new Set(wanted)].filter((r) => !asked.has(r));
    for (const r of missing) asked.add(r);
    if (missing.length) pending = pending.then(async () => { for (const [r, f] of await store.lineage.facts(project, missing)) known.set(r, f); });
    return pending;
  };
  return async (wanted) => {
    await fetch(asked.size === 0 ? [...runs, ...wanted] : wanted);
    return new Map(wanted.flatMap((r) => { const f = known.get(r); return f ? [[r, f] as const] : []; }));
  };
}

/**
 * The error a series answers in its place: what it asked for does not exist
 * (404), or its read ran past the time limit (422: ask for less). Anything
 * else fails the request: the store's line refusing (429/503 with
 * Retry-After: retry the request) or a fault (500).
 */
function answeredInPlace(err: unknown): ServiceError | null {
  if (err instanceof ServiceError && err.statusCode === 404) return err;
  if (err instanceof ReadRefusedError && err.limit === 'read-time') return QueryErrors.queryTimeout(err.value, err);
  return null;
}

/**
 * `f` over the items, at most `n` at once, the results in the items' order.
 * After a failure no more are started; the first failure is thrown once
 * those running have ended (so none is left running behind the answer).
 */
async function inTurns<T, R>(items: readonly T[], n: number, f: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0, failure: { err: unknown } | null = null;
  const worker = async () => {
    while (failure === null && next < items.length) {
      const i = next++;
      try { out[i] = await f(items[i]!, i); } catch (err) { failure ??= { err }; }
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  if (failure !== null) throw (failure as { err: unknown }).err;
  return out;
}
