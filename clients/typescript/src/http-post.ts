// One POST over node:http(s) with a keep-alive agent: the body goes out as
// given, the answer comes back as text. No retries here (see ingest-client).
import http from 'node:http';
import https from 'node:https';

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface PostOptions {
  headers: Record<string, string>;
  /** Whole-request timeout; the socket is destroyed with code SS_ERR_HTTP_TIMEOUT. */
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

/** A keep-alive agent pair; `destroy()` closes idle sockets so the process can exit. */
export class HttpTransport {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;

  /** `maxSockets`: concurrent requests per origin; more sends wait for a socket. */
  constructor(maxSockets = 16) {
    this.httpAgent = new http.Agent({ keepAlive: true, maxSockets });
    this.httpsAgent = new https.Agent({ keepAlive: true, maxSockets });
  }

  post(url: URL, body: Uint8Array, opts: PostOptions): Promise<HttpAnswer> {
    const secure = url.protocol === 'https:';
    const request = secure ? https.request : http.request;
    return new Promise<HttpAnswer>((resolve, reject) => {
      const req = request(url, {
        method: 'POST',
        agent: secure ? this.httpsAgent : this.httpAgent,
        headers: { ...opts.headers, 'Content-Length': String(body.byteLength) },
        signal: opts.signal,
      });
      const timer = setTimeout(() => {
        const err = Object.assign(new Error(`no answer from ${url.origin} within ${opts.timeoutMs} ms`), { code: 'SS_ERR_HTTP_TIMEOUT' });
        req.destroy(err);
      }, opts.timeoutMs);
      const fail = (err: Error): void => { clearTimeout(timer); reject(err); };
      req.on('error', fail);
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', fail);
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
        });
      });
      req.end(body);
    });
  }

  destroy(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}
