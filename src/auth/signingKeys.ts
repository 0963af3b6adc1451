// The authority's signing keys, kept so that no caller can exhaust or flush them. Anyone can send a token naming
// a made-up `kid`; if each such token could make us refetch the key set, a few a minute would spend any fetch
// budget and lock everyone out. So:
// - a known kid is answered from the keys held, never waiting for a fetch; keys past their age are refreshed
//   in the background and served meanwhile, however long the provider is down;
// - an unknown kid may cause a refetch, but those refetches are throttled as a whole (one per
//   `unknownKidIntervalMs`, concurrent ones joined) and a kid still unknown after that is simply unknown (401);
// - a kid refused by the throttle schedules one trailing refetch at the end of the interval, so a key the
//   provider has just published is in the set within one interval even when no one asks again.
import { createPublicKey, KeyObject } from 'node:crypto';
import { fetchProviderJson } from './identityProviderFetch';
import { IdentityProviderUnavailableError } from './errors';
import { RefreshingValue } from './refreshingValue';

export interface SigningKeysOptions {
  /** Age after which the key set is refreshed in the background. */
  maxAgeMs?: number;
  /** Least time between two refetches caused by unknown kids, across all callers. */
  unknownKidIntervalMs?: number;
  /** After a failed fetch, none starts again for this long (unless an unknown kid's turn comes). */
  retryAfterFailureMs?: number;
}

export const DEFAULT_UNKNOWN_KID_INTERVAL_MS = 60 * 1000;
const DEFAULT_MAX_AGE_MS = 10 * 60 * 1000;
const DEFAULT_RETRY_AFTER_FAILURE_MS = 5 * 1000;
const MAX_KID_LENGTH = 256;

type KeySet = ReadonlyMap<string, KeyObject>;

export class SigningKeys {
  private readonly keySet: RefreshingValue<KeySet>;
  private readonly unknownKidIntervalMs: number;
  private lastUnknownKidFetch = Number.NEGATIVE_INFINITY;
  private trailing?: NodeJS.Timeout;

  constructor(
    readonly jwksUri: string,
    options: SigningKeysOptions = {},
  ) {
    this.unknownKidIntervalMs = options.unknownKidIntervalMs ?? DEFAULT_UNKNOWN_KID_INTERVAL_MS;
    this.keySet = new RefreshingValue(() => fetchKeySet(jwksUri), {
      maxAgeMs: options.maxAgeMs ?? DEFAULT_MAX_AGE_MS,
      retryAfterFailureMs: options.retryAfterFailureMs ?? DEFAULT_RETRY_AFTER_FAILURE_MS,
    });
  }

  /**
   * The public key of `kid`, or undefined when the provider does not publish it (as far as the throttle lets
   * us know). Throws IdentityProviderUnavailableError only while no key set has ever been fetched.
   */
  async key(kid: string): Promise<KeyObject | undefined> {
    if (kid.length === 0 || kid.length > MAX_KID_LENGTH) return undefined;
    const held = (await this.keySet.get()).get(kid);
    if (held) return held;
    const under = this.keySet.loading;
    if (under) return (await under.catch(() => this.keySet.peek()))?.get(kid);
    const now = Date.now();
    if (now - this.lastUnknownKidFetch >= this.unknownKidIntervalMs) {
      this.lastUnknownKidFetch = now;
      return (await this.keySet.refresh().catch(() => this.keySet.peek()))?.get(kid);
    }
    this.scheduleTrailingFetch(this.lastUnknownKidFetch + this.unknownKidIntervalMs - now);
    return undefined;
  }

  private scheduleTrailingFetch(delayMs: number): void {
    if (this.trailing) return;
    this.trailing = setTimeout(() => {
      this.trailing = undefined;
      this.lastUnknownKidFetch = Date.now();
      this.keySet.refresh().catch(() => undefined);
    }, delayMs);
    this.trailing.unref();
  }
}

interface Jwk {
  kid?: unknown;
  kty?: unknown;
  use?: unknown;
  n?: unknown;
  e?: unknown;
}

/** The RSA signing keys of a JWKS document; a document with none is a failure (the old set stays). */
async function fetchKeySet(jwksUri: string): Promise<KeySet> {
  const doc = await fetchProviderJson(jwksUri, 'signing keys');
  const listed = (doc as { keys?: unknown } | null)?.keys;
  const keys = new Map<string, KeyObject>();
  for (const jwk of Array.isArray(listed) ? (listed as Jwk[]) : []) {
    const { kid, kty, use, n, e } = jwk ?? {};
    if (typeof kid !== 'string' || kid.length === 0 || kid.length > MAX_KID_LENGTH) continue;
    if (kty !== 'RSA' || (use !== undefined && use !== 'sig')) continue;
    if (typeof n !== 'string' || typeof e !== 'string') continue;
    try {
      keys.set(kid, createPublicKey({ key: { kty, n, e }, format: 'jwk' }));
    } catch {
      // a malformed key is skipped; the others still serve
    }
  }
  if (keys.size === 0) {
    throw new IdentityProviderUnavailableError(
      `The identity provider's key set (${jwksUri}) has no usable RSA signing key.`,
    );
  }
  return keys;
}
