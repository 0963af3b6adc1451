// X API v2: RFC 7807 problems {title, detail, type, status}; rate limits as 429 with x-rate-limit-reset.
import { ApiDialect, failureFromStatus } from '../api';
import { field } from '../http';

export const xApi: ApiDialect = {
  headers: (token) => ({ authorization: `Bearer ${token}` }),
  classify: (res) => {
    if (res.status >= 200 && res.status < 300) return undefined;
    const detail = field(res.body, 'detail') ?? field(res.body, 'title');
    const message = `X: ${typeof detail === 'string' ? detail : `HTTP ${res.status}`}`;
    if (res.status === 429) {
      const reset = Number(res.headers['x-rate-limit-reset']);
      const wait =
        Number.isFinite(reset) && reset > 0 ? Math.max(1, reset - Math.floor(Date.now() / 1000)) : 60;
      return { kind: 'rate_limited', message, retryAfterSeconds: wait };
    }
    return failureFromStatus(res.status, message);
  },
};
