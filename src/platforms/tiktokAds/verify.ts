// TikTok Ads: the token exchange with a code that cannot exist. The exchange is the one documented call that
// takes only the app's id and secret: refused credentials answer code 40001, accepted ones fail on the
// auth_code alone (code 40002), which proves the app without an advertiser or a token.
import { field } from '../../platformHttp/client';
import { AppProbe } from '../verification';
import { INVALID_PARAMETER, NO_PERMISSION } from './codes';

export const tiktokAdsAppProbe: AppProbe = {
  request: (def, config) => ({
    method: 'POST',
    url: def.endpoints.token,
    json: { app_id: config.app_id, secret: config.secret, auth_code: 'supertrack-credential-probe' },
  }),
  verdict: (res) => {
    if (res.status !== 200) return undefined;
    const code = field(res.body, 'code');
    if (code === NO_PERMISSION) {
      return { ok: false, reason: `TikTok for Business rejected the app_id or secret (code ${code}).` };
    }
    if (code === INVALID_PARAMETER) return { ok: true };
    return undefined;
  },
};
