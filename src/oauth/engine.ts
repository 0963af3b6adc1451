// One OAuth 2.0 engine for every platform. What differs between platforms is data in the catalog
// definitions (OAuthDialect): scope separator, PKCE, how the client authenticates, the client id's name,
// extra authorize parameters, and how tokens are renewed.
import { createHash, randomBytes } from 'node:crypto';
import { ConnectorDefinition, OAuthDialect } from '../catalog/types';
import {
  field,
  PlatformResponse,
  platformRequest,
  PlatformRequest,
  PlatformUnreachableError,
} from '../platformHttp/client';
import { redact } from '../shared/redact';
import { ClientRejectedError, GrantRevokedError, TokenEndpointError } from './errors';
import { TokenSet } from './tokens';

export interface AppCredentials {
  clientId: string;
  clientSecret: string;
}

export interface Pkce {
  verifier: string;
  challenge: string;
}

export function newPkce(): Pkce {
  const verifier = randomBytes(48).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export function usesPkce(def: ConnectorDefinition): boolean {
  return def.oauth.pkce !== 'none';
}

export function authorizationUrl(
  def: ConnectorDefinition,
  app: AppCredentials,
  options: {
    state: string;
    redirectUri: string;
    scopes: string[];
    pkce?: Pkce;
    /** The configuration's fields (a login configuration id, where the dialect has one). */
    config?: Record<string, string>;
  },
): string {
  const url = new URL(def.endpoints.authorize);
  // A portal-style page (TikTok for Business) takes no response_type or scope: the app's settings decide.
  const oauth2 = (def.oauth.authorizeStyle ?? 'oauth2') === 'oauth2';
  const login = def.oauth.loginConfiguration;
  const loginConfig = login ? options.config?.[login.field] : undefined;
  const params: Record<string, string> = {
    [def.oauth.clientIdParam]: app.clientId,
    redirect_uri: options.redirectUri,
    ...(oauth2 ? { response_type: 'code' } : {}),
    // A login configuration carries the permissions; the platform takes it instead of a scope list.
    ...(login && loginConfig
      ? { [login.param]: loginConfig }
      : oauth2
        ? { scope: options.scopes.join(def.oauth.scopeSeparator) }
        : {}),
    state: options.state,
    ...def.oauth.authorizeParams,
  };
  if (options.pkce && usesPkce(def)) {
    params.code_challenge = options.pkce.challenge;
    params.code_challenge_method = 'S256';
  }
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url.toString();
}

type ClientAuth = OAuthDialect['clientAuth'] | 'none' | 'json';

/** A request to one of the platform's OAuth endpoints, with the client authenticated the platform's way. */
function clientRequest(
  def: ConnectorDefinition,
  app: AppCredentials,
  clientAuth: ClientAuth,
  url: string,
  params: Record<string, string>,
): PlatformRequest {
  const id = { [def.oauth.clientIdParam]: app.clientId };
  const secretParam = def.oauth.clientSecretParam ?? 'client_secret';
  switch (clientAuth) {
    case 'none':
      return { method: 'POST', url, form: params };
    case 'json':
      // TikTok for Business: everything, the secret included, in a JSON body.
      return { method: 'POST', url, json: { ...id, [secretParam]: app.clientSecret, ...params } };
    case 'basic': {
      const basic = Buffer.from(
        `${encodeURIComponent(app.clientId)}:${encodeURIComponent(app.clientSecret)}`,
      ).toString('base64');
      return {
        method: 'POST',
        url,
        headers: { authorization: `Basic ${basic}` },
        form: { ...id, ...params },
      };
    }
    default:
      return { method: 'POST', url, form: { ...id, [secretParam]: app.clientSecret, ...params } };
  }
}

const tokenRequest = (def: ConnectorDefinition, app: AppCredentials, grant: Record<string, string>) =>
  clientRequest(
    def,
    app,
    def.oauth.tokenEndpoint?.body === 'json' ? 'json' : def.oauth.clientAuth,
    def.endpoints.token,
    grant,
  );

function describeError(def: ConnectorDefinition, res: PlatformResponse): string {
  const oauthError = field(res.body, 'error');
  const description = field(res.body, 'error_description');
  const objectMessage = field(res.body, 'error', 'message');
  const detail =
    typeof objectMessage === 'string'
      ? objectMessage
      : typeof oauthError === 'string'
        ? `${oauthError}${typeof description === 'string' ? `: ${description}` : ''}`
        : `HTTP ${res.status}`;
  // The platform's words reach last_error, responses and logs: mask anything that looks like a credential.
  return redact(`${def.name} token endpoint: ${detail}`);
}

/** A refusal inside an envelope (TikTok for Business: HTTP 200 with a non-zero code); undefined on success. */
function envelopeRefusal(def: ConnectorDefinition, res: PlatformResponse): Error | undefined {
  const how = def.oauth.tokenEndpoint;
  if (!how) return undefined;
  const code = field(res.body, how.codeField);
  const data = field(res.body, how.dataField);
  if (res.status === 200 && code === 0 && typeof field(data, 'access_token') === 'string') return undefined;
  const detail = field(res.body, 'message');
  const message = redact(
    `${def.name} token endpoint: ${typeof detail === 'string' && detail ? detail : `HTTP ${res.status}`}` +
      (typeof code === 'number' ? ` (code ${code})` : ''),
  );
  if (typeof code === 'number' && how.clientRejectedCodes.includes(code))
    return new ClientRejectedError(message);
  return new TokenEndpointError(message, res.status);
}

/** Classifies a token endpoint's refusal; undefined when the answer is a success. */
function refusal(def: ConnectorDefinition, res: PlatformResponse): Error | undefined {
  if (def.oauth.tokenEndpoint) return envelopeRefusal(def, res);
  const oauthError = field(res.body, 'error');
  const success =
    res.status >= 200 && res.status < 300 && typeof field(res.body, 'access_token') === 'string';
  if (success) return undefined;
  const message = describeError(def, res);
  // The platform's own codes in an error object, where its dialect lists them (Meta).
  const codes = def.oauth.errorObjectCodes;
  const code = field(res.body, 'error', 'code');
  const hasCode = (list: number[] | undefined) => typeof code === 'number' && (list ?? []).includes(code);
  if (oauthError === 'invalid_grant' || hasCode(codes?.grantRevoked)) {
    const appRemoved =
      codes !== undefined && field(res.body, 'error', 'error_subcode') === codes.appRemovedSubcode;
    return new GrantRevokedError(message, appRemoved);
  }
  if (
    oauthError === 'invalid_client' ||
    oauthError === 'unauthorized_client' ||
    hasCode(codes?.clientRejected)
  ) {
    return new ClientRejectedError(message);
  }
  // X answers a used or unknown refresh token with invalid_request and this description.
  if (oauthError === 'invalid_request' && res.status === 400) return new GrantRevokedError(message);
  return new TokenEndpointError(message, res.status);
}

function isoIn(seconds: unknown, now: number): string | undefined {
  const n = typeof seconds === 'string' ? Number(seconds) : seconds;
  return typeof n === 'number' && Number.isFinite(n) && n > 0
    ? new Date(now + n * 1000).toISOString()
    : undefined;
}

function parseTokens(def: ConnectorDefinition, res: PlatformResponse, previous?: TokenSet): TokenSet {
  const envelope = def.oauth.tokenEndpoint;
  const body = (envelope ? field(res.body, envelope.dataField) : res.body) as Record<string, unknown>;
  const now = Date.now();
  const str = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : undefined);
  const scope = Array.isArray(body.scope) ? body.scope.join(',') : str(body.scope);
  // Fields the platform does not send again (a refresh token that is not rotated, the scope) are kept.
  return {
    ...previous,
    access_token: String(body.access_token),
    token_type: str(body.token_type) ?? previous?.token_type,
    refresh_token: str(body.refresh_token) ?? previous?.refresh_token,
    scope: scope ?? previous?.scope,
    expires_at: isoIn(body.expires_in, now),
    refresh_expires_at:
      isoIn(body.refresh_expires_in ?? body.refresh_token_expires_in, now) ??
      (str(body.refresh_token) ? undefined : previous?.refresh_expires_at),
    open_id: str(body.open_id) ?? previous?.open_id,
  };
}

async function callTokenEndpoint(
  def: ConnectorDefinition,
  req: PlatformRequest,
  previous?: TokenSet,
): Promise<TokenSet> {
  let res: PlatformResponse;
  try {
    res = await platformRequest(req);
  } catch (err) {
    if (err instanceof PlatformUnreachableError) throw new TokenEndpointError(err.message);
    throw err;
  }
  const refused = refusal(def, res);
  if (refused) throw refused;
  return parseTokens(def, res, previous);
}

export function exchangeCode(
  def: ConnectorDefinition,
  app: AppCredentials,
  options: { code: string; redirectUri: string; codeVerifier?: string },
): Promise<TokenSet> {
  const envelope = def.oauth.tokenEndpoint;
  // TikTok for Business takes the code alone: no grant_type, no redirect_uri.
  const grant: Record<string, string> = envelope
    ? { [envelope.codeParam]: options.code }
    : {
        grant_type: 'authorization_code',
        code: options.code,
        redirect_uri: options.redirectUri,
        ...(options.codeVerifier && usesPkce(def) ? { code_verifier: options.codeVerifier } : {}),
      };
  return callTokenEndpoint(def, tokenRequest(def, app, grant));
}

/** Renews the tokens: a refresh-token grant, or Meta's long-lived token exchange. */
export function renewTokens(
  def: ConnectorDefinition,
  app: AppCredentials,
  tokens: TokenSet,
): Promise<TokenSet> {
  if (def.oauth.refresh === 'none') {
    // Reached only when the platform refused the token: nothing renews it, the user grants access again.
    return Promise.reject(
      new GrantRevokedError(
        `${def.name} tokens cannot be renewed; reconnect the account to grant access again.`,
      ),
    );
  }
  if (def.oauth.refresh === 'exchange') {
    return callTokenEndpoint(
      def,
      tokenRequest(def, app, { grant_type: 'fb_exchange_token', fb_exchange_token: tokens.access_token }),
      tokens,
    );
  }
  if (!tokens.refresh_token) {
    throw new GrantRevokedError(
      `${def.name} gave this connection no refresh token; reconnect it to renew access.`,
    );
  }
  return callTokenEndpoint(
    def,
    tokenRequest(def, app, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }),
    tokens,
  );
}

/**
 * Revokes the grant at the platform's revocation endpoint (RFC 7009 style), as the dialect describes it.
 * False when the platform has none described; a refusal throws like any platform failure.
 */
export async function revokeGrant(
  def: ConnectorDefinition,
  app: AppCredentials,
  tokens: TokenSet,
): Promise<boolean> {
  const how = def.oauth.revocation;
  const url = def.endpoints.revoke;
  if (!how || !url) return false;
  const useRefresh = how.token === 'refresh' && tokens.refresh_token !== undefined;
  const params: Record<string, string> = {
    [how.tokenParam ?? 'token']: useRefresh ? (tokens.refresh_token as string) : tokens.access_token,
  };
  if (how.typeHint) params.token_type_hint = useRefresh ? 'refresh_token' : 'access_token';
  const res = await platformRequest(clientRequest(def, app, how.clientAuth, url, params));
  const envelope = def.oauth.tokenEndpoint;
  const envelopeFailed = envelope !== undefined && field(res.body, envelope.codeField) !== 0;
  if (res.status >= 400 || typeof field(res.body, 'error') === 'string' || envelopeFailed) {
    throw new TokenEndpointError(`${def.name} refused the revocation (HTTP ${res.status}).`, res.status);
  }
  return true;
}
