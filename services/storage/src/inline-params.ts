// Query parameters bound by the embedded adapter itself: `{name:Type}`
// becomes `CAST('<value as text>' AS Type)`, the engine parsing the text as
// the type, exactly as a server parses a bound parameter's text.
//
// NOTE: why not chdb's own binding (queryBindAsync). chdb runs every statement
// with bound parameters through one promise chain for the whole process (its
// parameter state is not isolated per connection), so with it no two
// statements ever run at once: one project's slow read stalls every other
// read and the writer. Statements without parameters run side by side on
// separate connections. The value travels only inside a string literal, and a
// string literal is closed only by an unescaped quote (stringLiteral escapes
// both the quote and the backslash), so no value can end it.
import { StoreError, stringLiteral, type Params } from './adapter.js';

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*):([A-Za-z0-9_(), ]+)\}/g;

/** The text ClickHouse would parse for a parameter: its TSV-like "escaped" form for arrays, the value itself for scalars. */
function paramText(name: string, v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new StoreError(`query parameter ${name}: not a finite number: ${v}`);
    return String(v);
  }
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (Array.isArray(v)) return `[${v.map((x) => (typeof x === 'string' ? stringLiteral(x) : paramText(name, x))).join(',')}]`;
  throw new StoreError(`query parameter ${name}: cannot bind a ${v === null ? 'null' : typeof v}`);
}

export function inlineParams(sql: string, params: Params): string {
  return sql.replace(PLACEHOLDER, (_, name: string, type: string) => {
    if (!Object.hasOwn(params, name)) throw new StoreError(`query parameter ${name} has no value`);
    return `CAST(${stringLiteral(paramText(name, params[name]))} AS ${type})`;
  });
}
