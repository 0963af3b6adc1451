// Meta: an app access token through grant_type=client_credentials proves the app id and secret.
import { field } from '../../platformHttp/client';
import { AppProbe } from '../verification';

export const metaAppProbe: AppProbe = {
  request: (def, config) => ({
    // A POST body, so the secret never sits in a URL.
    method: 'POST',
    url: def.endpoints.token,
    form: {
      client_id: config[def.appCredentialFields.clientId],
      client_secret: config[def.appCredentialFields.clientSecret],
      grant_type: 'client_credentials',
    },
  }),
  verdict: (res) => {
    if (res.status === 200 && typeof field(res.body, 'access_token') === 'string') return { ok: true };
    const message = field(res.body, 'error', 'message');
    if (res.status >= 400 && res.status < 500 && typeof message === 'string') {
      return { ok: false, reason: `Meta rejected the app id or secret: ${message}` };
    }
    return undefined;
  },
};
