// TikTok's API wraps every answer as {data, error:{code, message, log_id}}; code "ok" is success.
import { ApiDialect, failureFromStatus } from '../api';
import { field } from '../../platformHttp/client';

export const tiktokApi: ApiDialect = {
  headers: (token) => ({ authorization: `Bearer ${token}` }),
  classify: (res) => {
    const code = field(res.body, 'error', 'code');
    if (code === 'ok' && res.status < 300) return undefined;
    const detail = field(res.body, 'error', 'message');
    const message = `TikTok: ${typeof detail === 'string' && detail ? detail : String(code ?? `HTTP ${res.status}`)}`;
    if (code === 'access_token_invalid') return { kind: 'token_invalid', message };
    if (code === 'rate_limit_exceeded') return { kind: 'rate_limited', message, retryAfterSeconds: 60 };
    if (code === 'scope_not_authorized' || code === 'scope_permission_missed')
      return { kind: 'forbidden', message };
    if (code === 'invalid_params') return { kind: 'bad_request', message };
    return failureFromStatus(res.status >= 300 ? res.status : 502, message);
  },
};
