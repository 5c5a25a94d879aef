// GET /v1/openapi.json: an OpenAPI 3.1 document that a real validator
// (@readme/openapi-parser) accepts, describing every public route of the
// all-in-one from the routes' own schemas: ingest's protobuf body, the read
// routes' parameters and answers, and the 401/403 of API keys.
import { validate, compileErrors } from '@readme/openapi-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newKey } from '@stepstream/runtime';
import { startInProcess, type Started } from './support/stepstream.js';

type Operation = { parameters?: { name: string; in: string }[]; requestBody?: { content: Record<string, unknown> }; responses: Record<string, { content?: Record<string, unknown> }> };
type Doc = { openapi: string; paths: Record<string, Record<string, Operation>> };

const ROUTES: [string, string][] = [
  ['post', '/v1/ingest'], ['get', '/v1/projects'], ['get', '/v1/projects/{project}/metrics'], ['post', '/v1/projects/{project}/series'],
  ['get', '/v1/projects/{project}/runs'], ['get', '/v1/projects/{project}/runs/{run}'], ['get', '/v1/projects/{project}/runs/{run}/export'], ['get', '/v1/projects/{project}/runs/{run}/lineage'],
  ['get', '/v1/projects/{project}/runs/{run}/series'], ['get', '/v1/projects/{project}/runs/{run}/ranks'], ['get', '/v1/projects/{project}/runs/{run}/ranks/series'],
  ['get', '/v1/projects/{project}/runs/{run}/ranks/heatmap'], ['get', '/v1/projects/{project}/runs/{run}/ranks/stragglers'],
];

describe('OpenAPI document', () => {
  let ss: Started;
  let doc: Doc;
  beforeAll(async () => {
    // API keys on: the document is public, and describes the 401 every route then answers without a key.
    ss = await startInProcess({ 'api-keys': `p:read:${newKey('p', 'read').entry.sha256}` });
    const res = await fetch(`${ss.url}/v1/openapi.json`);
    expect(res.status).toBe(200);
    doc = (await res.json()) as Doc;
  }, 60_000);
  afterAll(async () => { await ss?.stop(); });

  it('is a valid OpenAPI 3.1 document', async () => {
    expect(doc.openapi).toBe('3.1.0');
    const result = await validate(structuredClone(doc) as never);
    expect(result.valid, result.valid ? '' : compileErrors(result)).toBe(true);
  });

  it('describes every public route, its answer and its errors, and nothing else', () => {
    const listed = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`)).sort();
    expect(listed).toEqual(ROUTES.map(([m, p]) => `${m} ${p}`).sort());
    for (const [method, path] of ROUTES) {
      const op = doc.paths[path]![method]!;
      const ok = method === 'post' && path === '/v1/ingest' ? '202' : '200';
      const type = path.endsWith('/export') ? 'application/vnd.apache.parquet' : 'application/json';
      expect(op.responses[ok]?.content?.[type], `${method} ${path}`).toBeDefined();
      for (const status of ['400', '401', '403']) expect(op.responses[status], `${method} ${path} ${status}`).toBeDefined();
    }
    expect(Object.keys(doc.paths['/v1/ingest']!['post']!.requestBody!.content)).toEqual(['application/x-protobuf']);
    expect(Object.keys(doc.paths['/v1/projects/{project}/series']!['post']!.requestBody!.content)).toEqual(['application/json']);
    expect(Object.keys(doc.paths['/v1/projects/{project}/runs/{run}/export']!['get']!.responses['200']!.content!).sort())
      .toEqual(['application/vnd.apache.arrow.stream', 'application/vnd.apache.parquet', 'text/csv']);
    const runs = doc.paths['/v1/projects/{project}/runs']!['get']!.parameters!.map((p) => `${p.in}:${p.name}`).sort();
    expect(runs).toEqual(['path:project', 'query:cursor', 'query:limit', 'query:q', 'query:sort', 'query:status', 'query:summary', 'query:tag']);
  });
});
