// A connection's tokens as the service keeps them (in the secret store, never in a table).

export interface TokenSet {
  access_token: string;
  refresh_token?: string;
  token_type?: string;
  scope?: string;
  /** ISO time the access token expires; absent when the platform says it does not. */
  expires_at?: string;
  /** ISO time the refresh token expires, where the platform says so. */
  refresh_expires_at?: string;
  /** Platform extras worth keeping (TikTok open_id). */
  open_id?: string;
}

/** The secret bundle form (all strings) and back. */
export function toBundle(tokens: TokenSet): Record<string, string> {
  return Object.fromEntries(
    Object.entries(tokens).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
}

export function fromBundle(bundle: Record<string, string>): TokenSet {
  if (!bundle.access_token) throw new Error('The stored token set has no access token.');
  return bundle as unknown as TokenSet;
}
