// X: an app-only bearer token (client_credentials with the consumer key pair in HTTP Basic) proves the
// API key and secret.
import { field } from '../../platformHttp/client';
import { AppProbe } from '../verification';

export const xAppProbe: AppProbe = {
  request: (def, config) => ({
    method: 'POST',
    url: def.endpoints.app_token ?? def.endpoints.token,
    headers: {
      authorization: `Basic ${Buffer.from(
        `${encodeURIComponent(config.api_key)}:${encodeURIComponent(config.api_secret)}`,
      ).toString('base64')}`,
    },
    form: { grant_type: 'client_credentials' },
  }),
  verdict: (res) => {
    if (res.status === 200 && typeof field(res.body, 'access_token') === 'string') return { ok: true };
    if (res.status === 401 || res.status === 403) {
      return { ok: false, reason: 'X rejected the API key or API key secret (consumer keys).' };
    }
    return undefined;
  },
};
