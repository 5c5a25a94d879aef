import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, parseFlags } from '@stepstream/runtime';
import { serveSchema } from '../src/app.js';
import { rolesOf } from '../src/config.js';
import { demoSchema } from '../src/demo.js';

const parse = (argv: string[], env: Record<string, string> = {}) => parseConfig(serveSchema, parseFlags(argv).flags, env);

describe('serve configuration', () => {
  it('defaults to the all-in-one target on 127.0.0.1:4300 with ./.stepstream', () => {
    const cfg = parse([]);
    expect(cfg).toMatchObject({ target: ['all'], host: '127.0.0.1', port: 4300, data: './.stepstream' });
    expect([...rolesOf(cfg)].sort()).toEqual(['gateway', 'query', 'writer']);
  });

  it('takes flags over environment over defaults', () => {
    expect(parse(['--port', '5000'], { STEPSTREAM_PORT: '6000' }).port).toBe(5000);
    expect(parse([], { STEPSTREAM_PORT: '6000', STEPSTREAM_DATA: '/d' })).toMatchObject({ port: 6000, data: '/d' });
    expect(parse(['--target=writer,query']).target).toEqual(['writer', 'query']);
  });

  it('names the bad setting', () => {
    expect(() => parse([], { STEPSTREAM_PORT: '70000' })).toThrow(/STEPSTREAM_PORT: must be at most 65535/);
    expect(() => parse(['--port', 'x'])).toThrow(/--port: must be an integer/);
    expect(() => parse(['--prot', '1'])).toThrow(ConfigError);
    expect(() => parse(['--log-level', 'loud'])).toThrow(/--log-level: must be one of/);
    expect(() => rolesOf(parse(['--target', 'gatway']))).toThrow(/unknown target "gatway"/);
  });

  it('is documented in docs/configuration.md, every flag and variable', () => {
    const doc = readFileSync(join(import.meta.dirname, '..', '..', '..', 'docs', 'configuration.md'), 'utf8');
    for (const s of [...Object.values(serveSchema), ...Object.values(demoSchema)]) {
      expect(doc, s.flag).toContain(`\`--${s.flag}\``);
      expect(doc, s.env).toContain(`\`${s.env}\``);
    }
  });
});
