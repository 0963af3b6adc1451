// A connector type described as data (after Nango's providers.yaml): where its OAuth and API live,
// how its OAuth dialect differs, what it can do, and the JSON Schema of its configuration.

export const CONNECTOR_TYPES = [
  'meta',
  'google_ads',
  'facebook',
  'instagram',
  'twitter',
  'linkedin',
  'youtube',
  'tiktok',
  'tiktok_ads',
] as const;

export type ConnectorType = (typeof CONNECTOR_TYPES)[number];

export type PlatformFamily = 'meta' | 'google' | 'x' | 'linkedin' | 'tiktok' | 'tiktok_ads';

/** `report`: the unified report query (canonical metrics and dimensions) on top of the native `query`. */
export type Capability = 'oauth' | 'verify' | 'metadata' | 'query' | 'execute' | 'message' | 'report';

export interface JsonSchema {
  [keyword: string]: unknown;
}

/** Named endpoints; each can be overridden by CONNECTOR_<TYPE>_<NAME>_URL (e.g. _API_URL, _REVOKE_URL). */
export interface Endpoints {
  authorize: string;
  token: string;
  api: string;
  revoke?: string;
  [name: string]: string | undefined;
}

export interface OAuthDialect {
  /** Default scopes requested when a connection names none. */
  scopes: string[];
  scopeSeparator: ' ' | ',';
  /** 'required': always S256; 'supported': S256 sent; 'none': not sent. */
  pkce: 'required' | 'supported' | 'none';
  /** How the token request authenticates the client. */
  clientAuth: 'body' | 'basic';
  /** The name of the client id parameter (TikTok says client_key, TikTok for Business app_id). */
  clientIdParam: string;
  /** The name of the client secret parameter where it is not client_secret (TikTok for Business: secret). */
  clientSecretParam?: string;
  /** Extra authorize parameters the platform needs (Google: access_type=offline, prompt=consent). */
  authorizeParams?: Record<string, string>;
  /**
   * 'oauth2' (the default): the authorize URL carries response_type and scope. 'portal': only the client id,
   * state and redirect URI (TikTok for Business: the scopes are the app's, chosen in its settings).
   */
  authorizeStyle?: 'oauth2' | 'portal';
  /**
   * The token endpoint's dialect where it is not RFC 6749 (a form grant answered with the token fields at the
   * top level): TikTok for Business takes a JSON body {app_id, secret, auth_code} and answers inside its
   * envelope {code, message, request_id, data}, code 0 meaning success.
   */
  tokenEndpoint?: {
    body: 'json';
    /** The authorization code's parameter name (auth_code). */
    codeParam: string;
    /** The envelope field holding the token fields (data) and the one holding the outcome (code). */
    dataField: string;
    codeField: string;
    /** Outcome codes meaning the app credentials were refused; any other non-zero code is a failed exchange. */
    clientRejectedCodes: number[];
  };
  /**
   * How the revocation endpoint (endpoints.revoke) takes a token: which one (the refresh token revokes the whole
   * grant where there is one), how the client authenticates, whether a token_type_hint goes along.
   * Absent: the family revokes in its own way, or not at all.
   */
  revocation?: {
    token: 'refresh' | 'access';
    /** 'json': client id, secret and token in a JSON body, the token as `tokenParam` (TikTok for Business). */
    clientAuth: 'none' | 'body' | 'basic' | 'json';
    typeHint?: boolean;
    /** The token's parameter name where it is not `token` (TikTok for Business: access_token). */
    tokenParam?: string;
  };
  /**
   * A configuration field that, when set, replaces the scopes on the authorize URL with a stored login
   * configuration (Facebook Login for Business: `login_config_id` sent as `config_id`, which sets the permissions).
   */
  loginConfiguration?: { field: string; param: string };
  /**
   * Codes the token endpoint puts in an error object {"error": {code, error_subcode, message}} (Meta's Graph API):
   * those that mean the grant is gone, those that mean the app was refused, and the subcode saying the user
   * removed the app. Absent: only the RFC 6749 `error` strings are read.
   */
  errorObjectCodes?: { grantRevoked: number[]; clientRejected: number[]; appRemovedSubcode: number };
  /**
   * 'rotating': each refresh returns a new refresh token; 'static': it stays; 'exchange': Meta's long-lived token
   * exchange; 'none': the token cannot be renewed at all (TikTok for Business' long-term token), only re-granted.
   */
  refresh: 'rotating' | 'static' | 'exchange' | 'none';
  /** Days after which the platform expires a refresh token that is not used (Google: six months). */
  refreshTokenIdleDays?: number;
}

/**
 * A versioned platform API a connector type calls, as data: the version used by default, the days the platform
 * retires its versions, where the version travels and the setting that names another one. The registry
 * resolves it once per process (src/catalog/apiVersions.ts); /health lists what is in use with its sunset.
 */
export interface VersionedApi {
  /** What /health calls it: 'graph', 'marketing', 'google_ads', 'rest'… */
  api: string;
  /** The version used when no setting names one. */
  version: string;
  /** The retirement day (YYYY-MM-DD, UTC) of each version the platform has dated; a version not listed has none known. */
  sunsets: Readonly<Record<string, string>>;
  /**
   * Where the version travels: a path segment of the named endpoints (the first endpoint is the API base; when
   * `from` is set, that first endpoint is derived from the `from` endpoint with this API's version), or a header.
   */
  carrier: { endpoints: string[]; from?: string } | { header: string };
  /** The setting that names another version: CONNECTOR_<TYPE>_API_VERSION, CONNECTOR_META_ADS_API_VERSION. */
  setting: string;
  /** An older setting still honoured after `setting`, so existing deployments keep working. */
  legacySetting?: string;
}

/** A versioned API as one process uses it: the version in effect and its sunset (null when none is known). */
export interface ApiVersionInUse {
  api: string;
  version: string;
  sunset: string | null;
  setting: string;
}

/** The cheapest call that names the account a token belongs to: a GET under the API base, and where in the answer. */
export interface IdentityCall {
  path: string;
  query?: Record<string, string>;
  /** Keys leading to the account id (array positions as strings: ['items', '0', 'id']). */
  id: string[];
  name?: string[];
}

export interface ConnectorDefinition {
  type: ConnectorType;
  family: PlatformFamily;
  name: string;
  description: string;
  authType: 'oauth2';
  capabilities: Capability[];
  endpoints: Endpoints;
  /** The versioned APIs this type calls (their base URLs are in `endpoints`, or the version goes in a header). */
  apis: VersionedApi[];
  /** Filled in by the registry: the version of each of `apis` in effect, in the same order. */
  apiVersions?: ApiVersionInUse[];
  oauth: OAuthDialect;
  /** The identity call, as data; absent when the family needs code for it (Google Ads). */
  identity?: IdentityCall;
  /** The configuration fields that hold the app's client id and secret. */
  appCredentialFields: { clientId: string; clientSecret: string };
  /** JSON Schema (2020-12) of the configuration; secret fields carry writeOnly: true. */
  configSchema: JsonSchema;
  /** What the operations API accepts for this type: the `query` body and each `execute` operation's params. */
  operations: {
    query: JsonSchema;
    execute: Record<string, { description: string; params: JsonSchema }>;
  };
}
