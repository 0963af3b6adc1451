// What every platform fake offers the tests and the sandbox, whatever platform it imitates.

export type FakeConnectorType =
  | 'meta'
  | 'facebook'
  | 'instagram'
  | 'google_ads'
  | 'youtube'
  | 'twitter'
  | 'linkedin'
  | 'tiktok'
  | 'tiktok_ads';

export interface FakeApp {
  clientId: string;
  clientSecret: string;
  /** Redirect URIs registered for the app; empty or absent allows any (the exchange must still match). */
  redirectUris?: string[];
}

/** A fault the next matching request answers with, in the platform's own shape. */
export type FakeFault =
  | 'rate_limit' // the platform's rate-limit signal (status, body and headers as the platform sends them)
  | 'server_error' // a 5xx as the platform sends it
  | 'token_expired'; // the platform's expired/invalid access token answer

export interface FakeStats {
  authorizations: number;
  codeExchanges: number;
  /** Refresh-token grants (Meta: fb_exchange_token exchanges) that succeeded. */
  refreshes: number;
  revocations: number;
  /** Calls to the platform API (not OAuth endpoints). */
  apiCalls: number;
  /** Every request, in order: method and path (no query string, so no token). */
  requests: Array<{ method: string; path: string }>;
  /** Requests that carried an app secret (`client_secret`) in the URL, where proxies and access logs keep it. */
  secretsInUrl: number;
}

export interface PlatformFake {
  /** The connector types this fake serves. */
  readonly types: readonly FakeConnectorType[];
  /** http://127.0.0.1:PORT of the fake. */
  readonly url: string;
  /**
   * The settings that point the service at this fake, for every type it serves:
   * CONNECTOR_<TYPE>_AUTHORIZE_URL, _TOKEN_URL, _API_URL and any extra ones the family needs
   * (for example CONNECTOR_<TYPE>_REVOKE_URL, CONNECTOR_YOUTUBE_ANALYTICS_URL).
   */
  env(): Record<string, string>;
  addApp(app: FakeApp): void;
  /** The next authorization answers error=access_denied instead of a code. */
  denyNextConsent(): void;
  /** Every access token issued so far is expired from now on. */
  expireAccessTokens(): void;
  /** Every refresh token (and, for Meta, every user token) issued so far is revoked: invalid_grant / code 190. */
  revokeAllGrants(): void;
  /** The next API request whose path matches (any API request when no pattern) answers with the fault. */
  failNext(fault: FakeFault, pathPattern?: RegExp): void;
  readonly stats: FakeStats;
  /** The tokens and grants issued so far, as JSON (the sandbox keeps them across restarts). */
  saveState(): string;
  /** Puts back what saveState() gave, into a fake just started. */
  loadState(state: string): void;
  close(): Promise<void>;
}
