// Meta: when a user's grant ends. The long-lived token cannot be extended (exchanging it again returns the
// same expiry), and data access lapses on its own date (90 days after the user last consented), so the
// grant ends at the earlier of debug_token's `expires_at` and `data_access_expires_at` (0 means never).
import { AppCredentials } from '../../oauth/engine';
import { TokenSet } from '../../oauth/tokens';
import { ApiContext } from '../api';
import { field, platformRequest } from '../../platformHttp/client';

export async function metaGrantEnd(
  context: ApiContext,
  app: AppCredentials,
  tokens: TokenSet,
): Promise<string | undefined> {
  const res = await platformRequest({
    method: 'GET',
    url: `${context.definition.endpoints.api}/debug_token`,
    query: { input_token: tokens.access_token },
    // The app access token (app id|secret) in the header, not in the URL.
    headers: { authorization: `Bearer ${app.clientId}|${app.clientSecret}` },
  });
  if (res.status !== 200 || field(res.body, 'data', 'is_valid') !== true) return undefined;
  const ends = [field(res.body, 'data', 'expires_at'), field(res.body, 'data', 'data_access_expires_at')]
    .filter((t): t is number => typeof t === 'number' && t > 0)
    .map((t) => t * 1000);
  return ends.length > 0 ? new Date(Math.min(...ends)).toISOString() : undefined;
}
