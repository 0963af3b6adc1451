// A fake's authorization state as JSON, so a restarted sandbox keeps its saved connections working: the
// tokens it issued (with their grants, expiry and revocation) and the few maps and sets that decide whether a
// token is still good. A grant object shared by several tokens (an access and a refresh token of one
// authorization) is saved once and comes back shared, so revoking one revokes the other as before.
import { TokenBook, TokenEntry } from './http';

export type PersistentPart = TokenBook<unknown> | Map<string, unknown> | Set<string>;

type GrantRef = { ref: number } | { value: unknown };

type SavedPart =
  | { kind: 'book'; entries: Array<[string, { grant: GrantRef; expiresAt?: number; revoked: boolean }]> }
  | { kind: 'map'; entries: Array<[string, unknown]> }
  | { kind: 'set'; values: string[] };

export interface FakeSnapshot {
  grants: unknown[];
  parts: Record<string, SavedPart>;
}

export function snapshotOf(parts: Record<string, PersistentPart>): FakeSnapshot {
  const grants: unknown[] = [];
  const refs = new Map<object, number>();
  const refOf = (grant: unknown): GrantRef => {
    if (typeof grant !== 'object' || grant === null) return { value: grant };
    let ref = refs.get(grant);
    if (ref === undefined) {
      ref = grants.push(grant) - 1;
      refs.set(grant, ref);
    }
    return { ref };
  };
  const saved: Record<string, SavedPart> = {};
  for (const [name, part] of Object.entries(parts)) {
    if (part instanceof TokenBook) {
      saved[name] = {
        kind: 'book',
        entries: part.entries().map(([token, e]) => [token, { ...e, grant: refOf(e.grant) }]),
      };
    } else if (part instanceof Map) {
      saved[name] = { kind: 'map', entries: [...part] };
    } else {
      saved[name] = { kind: 'set', values: [...part] };
    }
  }
  return { grants, parts: saved };
}

/** Puts a snapshot back into the same parts of a new fake (parts it does not name stay as they are). */
export function restoreInto(parts: Record<string, PersistentPart>, snapshot: FakeSnapshot): void {
  const grantOf = (ref: GrantRef) => ('ref' in ref ? snapshot.grants[ref.ref] : ref.value);
  for (const [name, part] of Object.entries(parts)) {
    const saved = snapshot.parts[name];
    if (!saved) continue;
    if (part instanceof TokenBook && saved.kind === 'book') {
      for (const [token, e] of saved.entries) {
        const entry: TokenEntry<unknown> = { grant: grantOf(e.grant), revoked: e.revoked };
        if (e.expiresAt !== undefined) entry.expiresAt = e.expiresAt;
        part.restore(token, entry);
      }
    } else if (part instanceof Map && saved.kind === 'map') {
      for (const [key, value] of saved.entries) part.set(key, value);
    } else if (part instanceof Set && saved.kind === 'set') {
      for (const value of saved.values) part.add(value);
    }
  }
}
