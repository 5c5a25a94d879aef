// API keys per project, stored hashed (sha-256): a key never reads or writes
// another project. With no keys configured, access is open (the default
// listens on 127.0.0.1 only).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { ServiceError } from './errors.js';

export type Role = 'read' | 'write';

export interface KeyEntry {
  project: string;
  /** write keys may also read. */
  role: Role;
  /** sha-256 of the key, hex. */
  sha256: string;
}

export const hashKey = (key: string) => createHash('sha256').update(key).digest('hex');

/** A new key and the entry that stores it (only the hash is kept). */
export function newKey(project: string, role: Role): { key: string; entry: KeyEntry } {
  const key = `ss_${randomBytes(24).toString('base64url')}`;
  return { key, entry: { project, role, sha256: hashKey(key) } };
}

/** Parses `project:role:sha256,...` (the STEPSTREAM_API_KEYS form). */
export function parseKeyEntries(text: string): KeyEntry[] {
  // NOTE: ASCII blanks only: String.trim() would also strip a U+FEFF that begins a project id.
  return text.split(/[,\n]/).map((s) => s.replace(/^[ \t\r]+|[ \t\r]+$/g, '')).filter(Boolean).map((s) => {
    const [project, role, sha256] = s.split(':');
    if (!project || (role !== 'read' && role !== 'write') || !sha256 || !/^[0-9a-f]{64}$/.test(sha256)) {
      throw new Error(`API key entry "${s.slice(0, 40)}" must be project:read|write:<sha256 hex>`);
    }
    return { project, role, sha256 };
  });
}

export class ApiKeys {
  private readonly byHash = new Map<string, KeyEntry[]>();
  constructor(entries: readonly KeyEntry[]) {
    for (const e of entries) this.byHash.set(e.sha256, [...(this.byHash.get(e.sha256) ?? []), e]);
  }

  get enabled(): boolean {
    return this.byHash.size > 0;
  }

  /** Throws 401/403 unless `authorization` carries a key for this project and role. */
  check(authorization: string | undefined, project: string, role: Role): void {
    if (!this.enabled) return;
    const ok = this.entries(authorization).some((e) => e.project === project && may(e, role));
    if (!ok) throw new ServiceError('SS_ERR_FORBIDDEN', `this API key may not ${role} project ${JSON.stringify(project)}`, { project, role });
  }

  /**
   * Throws 401/403 unless `authorization` carries a key that may `role` some
   * project: the check that needs no body, made before a body is read, so a
   * request without a usable key costs nothing (the project is matched by
   * check() once the body is decoded).
   */
  checkRole(authorization: string | undefined, role: Role): void {
    if (!this.enabled) return;
    if (!this.entries(authorization).some((e) => may(e, role))) throw new ServiceError('SS_ERR_FORBIDDEN', `this API key may not ${role}`, { role });
  }

  /**
   * The projects `authorization`'s key may read (a read or write key of
   * each), or null when keys are off: every project. Throws 401 as check()
   * does for no key or an unknown one: a listing needs a key like any read.
   */
  readableProjects(authorization: string | undefined): Set<string> | null {
    if (!this.enabled) return null;
    return new Set(this.entries(authorization).filter((e) => may(e, 'read')).map((e) => e.project));
  }

  private entries(authorization: string | undefined): KeyEntry[] {
    const m = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    if (!m) throw new ServiceError('SS_ERR_UNAUTHORIZED', 'an API key is required: Authorization: Bearer <key>', { header: 'authorization' });
    const hash = hashKey(m[1]!);
    const entries = [...this.byHash.entries()].find(([h]) => timingSafeEqual(Buffer.from(h), Buffer.from(hash)))?.[1];
    if (!entries) throw new ServiceError('SS_ERR_UNAUTHORIZED', 'unknown API key', { header: 'authorization' });
    return entries;
  }
}

const may = (e: KeyEntry, role: Role): boolean => e.role === 'write' || role === 'read';
