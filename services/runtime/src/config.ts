// Config from flags and environment, coerced and validated in one place.
// Only a process entry calls parseConfig with the real argv/env; everything
// else receives the typed result.

export class ConfigError extends Error {
  readonly code = 'SS_ERR_CONFIG';
  constructor(readonly setting: string, message: string) {
    super(`${setting}: ${message}`);
    this.name = 'ConfigError';
  }
}

type Kind = 'string' | 'int' | 'number' | 'bool' | 'list';
type Value<K extends Kind> = K extends 'int' | 'number' ? number : K extends 'bool' ? boolean : K extends 'list' ? string[] : string;

export interface Setting<K extends Kind = Kind> {
  kind: K;
  /** Command-line flag without dashes, e.g. `port` for `--port`. */
  flag: string;
  /** Environment variable, e.g. `STEPSTREAM_PORT`. */
  env: string;
  default: Value<K>;
  doc: string;
  min?: number;
  max?: number;
  oneOf?: readonly string[];
}

export type Schema = Record<string, Setting>;
export type ConfigOf<S extends Schema> = { [K in keyof S]: S[K] extends Setting<infer T> ? Value<T> : never };

export function setting<K extends Kind>(s: Setting<K>): Setting<K> {
  return s;
}

/** Parses `--name=value` / `--name value` / `--flag` arguments into a map. */
export function parseFlags(argv: readonly string[]): { flags: Map<string, string>; positional: string[] } {
  const flags = new Map<string, string>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) { positional.push(arg); continue; }
    const eq = arg.indexOf('=');
    if (eq > 0) { flags.set(arg.slice(2, eq), arg.slice(eq + 1)); continue; }
    const next = argv[i + 1];
    if (next !== undefined && !next.startsWith('--')) { flags.set(arg.slice(2), next); i++; } else flags.set(arg.slice(2), 'true');
  }
  return { flags, positional };
}

function coerce(name: string, s: Setting, raw: string): unknown {
  switch (s.kind) {
    case 'string': {
      if (s.oneOf && !s.oneOf.includes(raw)) throw new ConfigError(name, `must be one of ${s.oneOf.join(', ')}, got "${raw}"`);
      return raw;
    }
    case 'list': return raw.split(',').map((x) => x.trim()).filter(Boolean);
    case 'bool': {
      if (/^(1|true|yes|on)$/i.test(raw)) return true;
      if (/^(0|false|no|off)$/i.test(raw)) return false;
      throw new ConfigError(name, `must be true or false, got "${raw}"`);
    }
    case 'int':
    case 'number': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n) || (s.kind === 'int' && !Number.isInteger(n))) {
        throw new ConfigError(name, `must be ${s.kind === 'int' ? 'an integer' : 'a number'}, got "${raw}"`);
      }
      if (s.min !== undefined && n < s.min) throw new ConfigError(name, `must be at least ${s.min}, got ${n}`);
      if (s.max !== undefined && n > s.max) throw new ConfigError(name, `must be at most ${s.max}, got ${n}`);
      return n;
    }
  }
}

/**
 * Flags win over environment, environment over defaults. Unknown flags are
 * errors (a typo must not silently fall back to a default).
 */
export function parseConfig<S extends Schema>(schema: S, flags: Map<string, string>, env: Record<string, string | undefined>, allowFlags: readonly string[] = []): ConfigOf<S> {
  const known = new Set([...Object.values(schema).map((s) => s.flag), ...allowFlags]);
  for (const f of flags.keys()) if (!known.has(f)) throw new ConfigError(`--${f}`, 'unknown flag (see --help)');
  const out: Record<string, unknown> = {};
  for (const [key, s] of Object.entries(schema)) {
    const fromFlag = flags.get(s.flag);
    const fromEnv = env[s.env];
    if (fromFlag !== undefined) out[key] = coerce(`--${s.flag}`, s, fromFlag);
    else if (fromEnv !== undefined && fromEnv !== '') out[key] = coerce(s.env, s, fromEnv);
    else out[key] = s.default;
  }
  return out as ConfigOf<S>;
}

/** One line per setting, for --help and docs/configuration.md. */
export function describeSchema(schema: Schema): string {
  return Object.values(schema)
    .map((s) => `  --${s.flag.padEnd(22)} ${s.env.padEnd(34)} ${s.doc} (default: ${JSON.stringify(s.default)})`)
    .join('\n');
}
