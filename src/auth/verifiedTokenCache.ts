import { createHash } from 'node:crypto';
import { Principal } from './principal';

/**
 * Verified tokens, keyed by a hash of the token (never the token itself) and dropped at the token's `exp`,
 * so a busy caller pays for one RS256 verification per token rather than one per request.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, { principal: Principal; expiresAtMs: number }>();

  constructor(private readonly maxEntries = 10_000) {}

  static keyOf(token: string): string {
    return createHash('sha256').update(token).digest('base64url');
  }

  get(key: string, nowMs = Date.now()): Principal | undefined {
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    if (hit.expiresAtMs <= nowMs) {
      this.entries.delete(key);
      return undefined;
    }
    return hit.principal;
  }

  set(key: string, principal: Principal, expiresAtMs: number): void {
    if (this.entries.size >= this.maxEntries) {
      // Maps iterate in insertion order: the first key is the oldest entry.
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(key, { principal, expiresAtMs });
  }

  get size(): number {
    return this.entries.size;
  }
}
