// TikTok: a client access token (grant_type=client_credentials) proves the client key and secret.
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
    if (typeof error === 'string') {
      const description = field(res.body, 'error_description');
      return {
        ok: false,
        reason: `TikTok rejected the client key or secret (${error}${typeof description === 'string' ? `: ${description}` : ''}).`,
      };
    }
    return undefined;
  },
};
