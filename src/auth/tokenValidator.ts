// Validates Azure AD (or any OpenID Connect) bearer tokens as CONTRACT.md says: RS256 by a key of the
// authority's JWKS, issuer, audience, exp/nbf with 5 minutes of skew, allowed tenant.
import { createPublicKey, KeyObject } from 'node:crypto';
import jwt, { JwtPayload } from 'jsonwebtoken';
import { JwksClient } from 'jwks-rsa';
import { issuerPolicy, IssuerPolicy } from './issuers';
import { Principal } from './principal';
import { VerifiedTokenCache } from './verifiedTokenCache';

const CLOCK_SKEW_SECONDS = 300;
const KEY_TTL_MS = 10 * 60 * 1000;
const METADATA_TTL_MS = 24 * 60 * 60 * 1000;
const FETCH_TIMEOUT_MS = 5000;

export class InvalidTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidTokenError';
  }
}

/** The authority's metadata or keys could not be fetched: not the caller's fault. */
export class IdentityProviderUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IdentityProviderUnavailableError';
  }
}

export interface TokenValidatorOptions {
  authority: string;
  audiences: string[];
  /** '*' for any tenant; undefined for the authority's own tenant (any, when it has none). */
  allowedTenants?: string[] | '*';
}

interface Metadata {
  policy: IssuerPolicy;
  jwks: JwksClient;
  fetchedAt: number;
}

export class TokenValidator {
  private metadata?: Promise<Metadata>;
  private readonly keys = new Map<string, { key: KeyObject; fetchedAt: number }>();
  private readonly cache = new VerifiedTokenCache();

  constructor(private readonly options: TokenValidatorOptions) {}

  async validate(token: string): Promise<Principal> {
    const cacheKey = VerifiedTokenCache.keyOf(token);
    const cached = this.cache.get(cacheKey);
    if (cached) return cached;

    const decoded = jwt.decode(token, { complete: true });
    if (!decoded || typeof decoded.payload === 'string')
      throw new InvalidTokenError('The token is not a JWT.');
    if (decoded.header.alg !== 'RS256') throw new InvalidTokenError('The token must be signed with RS256.');
    const { policy, jwks } = await this.loadMetadata();
    const key = await this.signingKey(jwks, decoded.header.kid);

    let payload: JwtPayload;
    try {
      payload = jwt.verify(token, key, {
        algorithms: ['RS256'],
        audience: this.options.audiences as [string, ...string[]],
        clockTolerance: CLOCK_SKEW_SECONDS,
      }) as JwtPayload;
    } catch (err) {
      throw new InvalidTokenError(describeJwtError(err));
    }
    if (typeof payload.exp !== 'number') throw new InvalidTokenError('The token has no expiry.');
    const tid = typeof payload.tid === 'string' ? payload.tid : undefined;
    if (!tid) throw new InvalidTokenError('The token has no tenant (tid) claim.');
    if (!policy.acceptedIssuers(tid).includes(String(payload.iss))) {
      throw new InvalidTokenError('The token was not issued by the configured authority.');
    }
    if (!this.tenantAllowed(tid, policy)) throw new InvalidTokenError("The token's tenant is not allowed.");

    const principal: Principal = {
      tenantId: tid.toLowerCase(),
      objectId: stringClaim(payload.oid) ?? stringClaim(payload.sub),
      appId: stringClaim(payload.azp) ?? stringClaim(payload.appid),
      scopes: typeof payload.scp === 'string' ? payload.scp.split(' ').filter(Boolean) : [],
      roles: Array.isArray(payload.roles)
        ? payload.roles.filter((r): r is string => typeof r === 'string')
        : [],
    };
    this.cache.set(cacheKey, principal, payload.exp * 1000);
    return principal;
  }

  private tenantAllowed(tid: string, policy: IssuerPolicy): boolean {
    const allowed = this.options.allowedTenants;
    if (allowed === '*') return true;
    const lower = tid.toLowerCase();
    if (allowed) return allowed.some((t) => t.toLowerCase() === lower);
    return policy.authorityTenant === undefined || policy.authorityTenant === lower;
  }

  private loadMetadata(): Promise<Metadata> {
    const now = Date.now();
    const current = this.metadata;
    if (current) {
      return current.then((m) => (now - m.fetchedAt < METADATA_TTL_MS ? m : this.refreshMetadata()));
    }
    return this.refreshMetadata();
  }

  private refreshMetadata(): Promise<Metadata> {
    const pending = fetchMetadata(this.options.authority);
    this.metadata = pending;
    // A failed fetch must not stick: the next request tries again.
    pending.catch(() => {
      if (this.metadata === pending) this.metadata = undefined;
    });
    return pending;
  }

  private async signingKey(jwks: JwksClient, kid: string | undefined): Promise<KeyObject> {
    if (!kid) throw new InvalidTokenError('The token has no key id (kid).');
    const held = this.keys.get(kid);
    if (held && Date.now() - held.fetchedAt < KEY_TTL_MS) return held.key;
    try {
      // jwks-rsa refetches the key set (rate limited) when it does not know the kid.
      const signing = await jwks.getSigningKey(kid);
      const key = createPublicKey(signing.getPublicKey());
      this.keys.set(kid, { key, fetchedAt: Date.now() });
      return key;
    } catch (err) {
      const name = err instanceof Error ? err.name : '';
      if (name === 'SigningKeyNotFoundError')
        throw new InvalidTokenError("The token's signing key is unknown.");
      throw new IdentityProviderUnavailableError(
        "The identity provider's signing keys could not be fetched.",
      );
    }
  }
}

async function fetchMetadata(authority: string): Promise<Metadata> {
  const url = `${authority}/.well-known/openid-configuration`;
  let doc: unknown;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    doc = await res.json();
  } catch (err) {
    throw new IdentityProviderUnavailableError(
      `The identity provider's metadata (${url}) could not be fetched: ${err instanceof Error ? err.message : 'error'}`,
    );
  }
  const { issuer, jwks_uri: jwksUri } = (doc ?? {}) as { issuer?: unknown; jwks_uri?: unknown };
  if (typeof issuer !== 'string' || typeof jwksUri !== 'string') {
    throw new IdentityProviderUnavailableError(
      `The identity provider's metadata (${url}) has no issuer or jwks_uri.`,
    );
  }
  const jwks = new JwksClient({
    jwksUri,
    cache: true,
    cacheMaxAge: KEY_TTL_MS,
    rateLimit: true,
    jwksRequestsPerMinute: 10,
    timeout: FETCH_TIMEOUT_MS,
  });
  return { policy: issuerPolicy(authority, issuer), jwks, fetchedAt: Date.now() };
}

function stringClaim(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function describeJwtError(err: unknown): string {
  if (err instanceof jwt.TokenExpiredError) return 'The token has expired.';
  if (err instanceof jwt.NotBeforeError) return 'The token is not valid yet.';
  if (err instanceof jwt.JsonWebTokenError) {
    if (err.message.startsWith('jwt audience invalid')) return "The token's audience is not accepted.";
    if (err.message === 'invalid signature') return "The token's signature is invalid.";
    return 'The token is invalid.';
  }
  return 'The token is invalid.';
}
