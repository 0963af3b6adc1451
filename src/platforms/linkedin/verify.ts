// LinkedIn: an authorization-code exchange with a dummy code. A wrong client answers 401 invalid_client;
// a right one fails only on the code, which proves the client without a user.
import { field } from '../../platformHttp/client';
import { AppProbe } from '../verification';

export const linkedinAppProbe: AppProbe = {
  request: (def, config, redirectUri) => ({
    method: 'POST',
    url: def.endpoints.token,
    form: {
      grant_type: 'authorization_code',
      code: 'supertrack-credential-probe',
      client_id: config.client_id,
      client_secret: config.client_secret,
      redirect_uri: redirectUri,
    },
  }),
  verdict: (res) => {
    const error = field(res.body, 'error');
    if (res.status === 401 || error === 'invalid_client') {
      return { ok: false, reason: 'LinkedIn rejected the client id or secret (invalid_client).' };
    }
    if (res.status === 400 && (error === 'invalid_request' || error === 'invalid_grant')) return { ok: true };
    return undefined;
  },
};
