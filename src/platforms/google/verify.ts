// Google: a refresh-token grant with the client credentials. A wrong client answers invalid_client; a right
// one with a dummy refresh token answers invalid_grant, which proves the client without a user.
import { field } from '../../platformHttp/client';
import { AppProbe } from '../verification';

const PROBE_TOKEN = 'supertrack-credential-probe';

export const googleAppProbe: AppProbe = {
  request: (def, config) => ({
    method: 'POST',
    url: def.endpoints.token,
    form: {
      client_id: config.client_id,
      client_secret: config.client_secret,
      grant_type: 'refresh_token',
      refresh_token: config.refresh_token ?? PROBE_TOKEN,
    },
  }),
  verdict: (res, config) => {
    const error = field(res.body, 'error');
    if (res.status === 200) return { ok: true };
    if (error === 'invalid_client' || error === 'unauthorized_client') {
      return { ok: false, reason: 'Google rejected the OAuth client id or secret (invalid_client).' };
    }
    if (error === 'invalid_grant') {
      // The client authenticated; only a configured refresh token can make this a failure.
      return config.refresh_token === undefined
        ? { ok: true }
        : {
            ok: false,
            reason: 'Google rejected the configured refresh token: it has expired or been revoked.',
          };
    }
    return undefined;
  },
};
