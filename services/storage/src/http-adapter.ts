// A ClickHouse server over HTTP (@clickhouse/client): what a cluster runs.
import { Readable } from 'node:stream';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { JSON_OUTPUT_SETTINGS, STREAM_FORMATS, StoreError, identifier, num, settingsClause, type Params, type NativeInsert, type Settings, type StoreAdapter } from './adapter.js';
import { coalesce, numberType } from './native.js';

export interface HttpOptions {
  url: string;
  username?: string;
  password?: string;
  requestTimeoutMs?: number;
}

export class HttpAdapter implements StoreAdapter {
  readonly kind = 'http' as const;
  private readonly client: ClickHouseClient;
  private closed = false;

  constructor(opts: HttpOptions) {
    this.client = createClient({
      url: opts.url,
      username: opts.username ?? 'default',
      password: opts.password ?? '',
      request_timeout: opts.requestTimeoutMs ?? 60_000,
      compression: { request: false, response: true },
    });
  }

  /** Other processes write to a server: nothing read is kept. */
  writeEpoch(): undefined {
    return undefined;
  }

  async command(sql: string, params?: Params, settings?: Settings): Promise<void> {
    await this.wrap(() => this.client.command({ query: sql, query_params: params ?? {}, clickhouse_settings: settings ?? {} }));
  }

  async query<T>(sql: string, params?: Params, settings?: Settings): Promise<T[]> {
    return this.wrap(async () => {
      const rs = await this.client.query({ query: sql, query_params: params ?? {}, format: 'JSONEachRow', clickhouse_settings: { ...JSON_OUTPUT_SETTINGS, ...settings } as never });
      return rs.json<T>();
    });
  }

  async queryColumns(sql: string, params?: Params, settings?: Settings): Promise<Record<string, Float64Array>> {
    return this.wrap(async () => {
      const rs = await this.client.query({ query: sql, query_params: params ?? {}, format: 'JSONColumnsWithMetadata', clickhouse_settings: { ...JSON_OUTPUT_SETTINGS, ...settings } as never });
      const { meta, data } = (await rs.json()) as unknown as { meta: { name: string; type: string }[]; data: Record<string, unknown[]> };
      const out: Record<string, Float64Array> = {};
      for (const { name, type } of meta) {
        if (numberType(type) === undefined) throw new Error(`queryColumns: column ${name} is ${type}, not a number type`);
        out[name] = Float64Array.from(data[name] ?? [], num);
      }
      return out;
    });
  }

  /**
   * NOTE: the server streams the answer as it is made; an error after the
   * first bytes ends the response early (the client's stream errors), so a
   * cut-off answer is never taken for a whole one. Not measured here (no
   * server on these machines).
   */
  async queryStream(sql: string, params: Params | undefined, settings: Settings | undefined, format: string): Promise<Readable> {
    if (!STREAM_FORMATS.has(format)) throw new StoreError(`not a stream format: ${JSON.stringify(format)}`);
    return this.wrap(async () => {
      const res = await this.client.exec({ query: `${sql} FORMAT ${format}`, query_params: params ?? {}, clickhouse_settings: (settings ?? {}) as never });
      return res.stream;
    });
  }

  async insertNative(insert: NativeInsert): Promise<void> {
    const sql = `INSERT INTO ${insert.table} (${insert.columns.map(identifier).join(', ')})${settingsClause(insert.settings)} FORMAT Native`;
    await this.wrap(async () => {
      const res = await this.client.exec({ query: sql, values: Readable.from(coalesce(insert.payload)) });
      res.stream.resume();
      await new Promise<void>((resolve, reject) => { res.stream.on('end', resolve); res.stream.on('error', reject); });
    });
  }

  async insertJson(table: string, rows: readonly object[], settings?: Settings): Promise<void> {
    if (rows.length === 0) return;
    await this.wrap(() => this.client.insert({ table, values: rows as object[], format: 'JSONEachRow', clickhouse_settings: (settings ?? {}) as never }));
  }

  private async wrap<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw new StoreError('store is closed');
    try {
      return await fn();
    } catch (err) {
      const code = Number((err as { code?: unknown }).code);
      throw new StoreError(`ClickHouse server: ${(err as Error).message.split('\n')[0]}`, { cause: err, ...(Number.isInteger(code) ? { engineCode: code } : {}) });
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.client.close();
  }
}
