// TikTok: the token endpoint with grant_type=client_credentials checks the client key and secret. Only Research
// API and Commercial Content API clients are given client access tokens; any other app (Login Kit, Content
// Posting) is refused for the grant type, which says nothing against its key and secret. So only
// `invalid_client` (the key or secret is wrong) fails the probe: a refusal of the grant itself passes it, and
// the key and secret then meet their full check when a user connects (the code exchange).
import { field } from '../../platformHttp/client';
import { AppProbe } from '../verification';

export const tiktokAppProbe: AppProbe = {
  request: (def, config) => ({
    method: 'POST',
    url: def.endpoints.token,
    form: {
      client_key: config.client_key,
      client_secret: config.client_secret,
      grant_type: 'client_credentials',
    },
  }),
  verdict: (res) => {
    if (typeof field(res.body, 'access_token') === 'string') return { ok: true };
    const error = field(res.body, 'error');
    if (error === 'invalid_client') {
      const description = field(res.body, 'error_description');
      return {
        ok: false,
        reason: `TikTok rejected the client key or secret (${error}${typeof description === 'string' ? `: ${description}` : ''}).`,
      };
    }
    // unauthorized_client, unsupported_grant_type…: client tokens are not for this kind of app; not a verdict
    // on its credentials.
    if (typeof error === 'string') return { ok: true };
    return undefined;
  },
};
