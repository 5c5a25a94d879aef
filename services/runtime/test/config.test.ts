import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, parseFlags, setting } from '../src/index.js';

const schema = {
  port: setting({ kind: 'int', flag: 'port', env: 'X_PORT', default: 1, min: 0, max: 10, doc: '' }),
  ratio: setting({ kind: 'number', flag: 'ratio', env: 'X_RATIO', default: 0.5, doc: '' }),
  on: setting({ kind: 'bool', flag: 'on', env: 'X_ON', default: false, doc: '' }),
  list: setting({ kind: 'list', flag: 'list', env: 'X_LIST', default: [] as string[], doc: '' }),
  mode: setting({ kind: 'string', flag: 'mode', env: 'X_MODE', default: 'a', oneOf: ['a', 'b'], doc: '' }),
};

describe('parseFlags', () => {
  it('reads --a=b, --a b, a bare --flag (last, or before another flag) and positionals', () => {
    const { flags, positional } = parseFlags(['serve', '--port=3', '--mode', 'b', 'extra', '--on']);
    expect(Object.fromEntries(flags)).toEqual({ port: '3', mode: 'b', on: 'true' });
    expect(positional).toEqual(['serve', 'extra']);
  });
});

describe('parseConfig', () => {
  const parse = (argv: string[], env: Record<string, string> = {}) => parseConfig(schema, parseFlags(argv).flags, env);

  it('coerces each kind, flags over environment over defaults', () => {
    expect(parse([])).toEqual({ port: 1, ratio: 0.5, on: false, list: [], mode: 'a' });
    expect(parse(['--port', '7', '--on', '--list', 'a, b,,c'], { X_PORT: '9', X_RATIO: '0.25', X_MODE: 'b' })).toEqual({ port: 7, ratio: 0.25, on: true, list: ['a', 'b', 'c'], mode: 'b' });
    expect(parse([], { X_ON: 'no' }).on).toBe(false);
  });

  it('names the setting at fault', () => {
    const err = (f: () => unknown) => { try { f(); return ''; } catch (e) { expect(e).toBeInstanceOf(ConfigError); return (e as Error).message; } };
    expect(err(() => parse(['--port', '11']))).toBe('--port: must be at most 10, got 11');
    expect(err(() => parse([], { X_PORT: '1.5' }))).toBe('X_PORT: must be an integer, got "1.5"');
    expect(err(() => parse([], { X_ON: 'maybe' }))).toBe('X_ON: must be true or false, got "maybe"');
    expect(err(() => parse(['--mode', 'c']))).toBe('--mode: must be one of a, b, got "c"');
    expect(err(() => parse(['--nope', '1']))).toBe('--nope: unknown flag (see --help)');
  });
});
