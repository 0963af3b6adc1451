// Validates Azure AD (or any OpenID Connect) bearer tokens as CONTRACT.md says: RS256 by a key of the
// authority's JWKS, issuer, audience, exp/nbf with 5 minutes of skew, allowed tenant.
import jwt, { JwtPayload } from 'jsonwebtoken';
import { IdentityProviderUnavailableError, InvalidTokenError } from './errors';
import { fetchProviderJson } from './identityProviderFetch';
import { issuerPolicy, IssuerPolicy } from './issuers';
import { decodeJwt } from './jwtParts';
import { Principal } from './principal';
import { RefreshingValue } from './refreshingValue';
import { SigningKeys } from './signingKeys';
import { VerifiedTokenCache } from './verifiedTokenCache';

export { IdentityProviderUnavailableError, InvalidTokenError } from './errors';

const CLOCK_SKEW_SECONDS = 300;
const METADATA_MAX_AGE_MS = 24 * 60 * 60 * 1000;
const METADATA_RETRY_AFTER_FAILURE_MS = 5 * 1000;

export interface TokenValidatorOptions {
  authority: string;
  audiences: string[];
  /** '*' for any tenant; undefined for the authority's own tenant (any, when it has none). */
  allowedTenants?: string[] | '*';
  /** Least time between two key-set refetches caused by unknown kids (default one minute). */
  unknownKidIntervalMs?: number;
  /** Age after which the key set is refreshed in the background (default 10 minutes). */
  keyMaxAgeMs?: number;
}

interface Metadata {
  policy: IssuerPolicy;
  jwksUri: string;
}

export class TokenValidator {
  private readonly metadata: RefreshingValue<Metadata>;
  private signingKeys?: SigningKeys;
  private readonly cache = new VerifiedTokenCache();

  constructor(private readonly options: TokenValidatorOptions) {
    this.metadata = new RefreshingValue(() => fetchMetadata(options.authority), {
      maxAgeMs: METADATA_MAX_AGE_MS,
      retryAfterFailureMs: METADATA_RETRY_AFTER_FAILURE_MS,
    });
  }

  async validate(token: string): Promise<Principal> {
    const cacheKey = VerifiedTokenCache.keyOf(token);
    const cached = this.cache.get(cacheKey);
    if (cached) return cached;

    const decoded = decodeJwt(token);
    if (!decoded) throw new InvalidTokenError('The token is not a JWT.');
    if (decoded.header.alg !== 'RS256') throw new InvalidTokenError('The token must be signed with RS256.');
    const { kid } = decoded.header;
    if (typeof kid !== 'string') throw new InvalidTokenError('The token has no key id (kid).');
    const { policy, jwksUri } = await this.metadata.get();
    const key = await this.keysAt(jwksUri).key(kid);
    if (!key) throw new InvalidTokenError("The token's signing key is unknown.");

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

  /** The keys of the authority's current jwks_uri (kept across metadata refreshes that do not change it). */
  private keysAt(jwksUri: string): SigningKeys {
    if (this.signingKeys?.jwksUri !== jwksUri) {
      this.signingKeys = new SigningKeys(jwksUri, {
        unknownKidIntervalMs: this.options.unknownKidIntervalMs,
        maxAgeMs: this.options.keyMaxAgeMs,
      });
    }
    return this.signingKeys;
  }
}

async function fetchMetadata(authority: string): Promise<Metadata> {
  const url = `${authority}/.well-known/openid-configuration`;
  const doc = await fetchProviderJson(url, 'metadata');
  const { issuer, jwks_uri: jwksUri } = (doc ?? {}) as { issuer?: unknown; jwks_uri?: unknown };
  if (typeof issuer !== 'string' || typeof jwksUri !== 'string') {
    throw new IdentityProviderUnavailableError(
      `The identity provider's metadata (${url}) has no issuer or jwks_uri.`,
    );
  }
  return { policy: issuerPolicy(authority, issuer), jwksUri };
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
