// X API v2: RFC 7807 problems {title, detail, type, status}; rate limits as 429 with x-rate-limit-reset. X bills
// per use: a 429 can also be a usage cap (problem type …/usage-capped), which no retry within a window lifts.
import { ApiDialect, failureFromStatus } from '../api';
import { field } from '../../platformHttp/client';

export const xApi: ApiDialect = {
  headers: (token) => ({ authorization: `Bearer ${token}` }),
  classify: (res) => {
    if (res.status >= 200 && res.status < 300) return undefined;
    const detail = field(res.body, 'detail') ?? field(res.body, 'title');
    const message = `X: ${typeof detail === 'string' ? detail : `HTTP ${res.status}`}`;
    const type = field(res.body, 'type');
    const title = field(res.body, 'title');
    if (
      (typeof type === 'string' && /\/problems\/(usage-capped|credits-depleted)$/.test(type)) ||
      title === 'UsageCapExceeded' ||
      title === 'CreditsDepleted'
    ) {
      const period = field(res.body, 'period');
      return {
        kind: 'quota_exhausted',
        message: `${message}${typeof period === 'string' ? ` (${period.toLowerCase()} cap)` : ''}. The X app's usage cap or prepaid credits are spent: retrying will not help until the cap resets or credits are added in the X developer console.`,
        reason: typeof title === 'string' ? title : 'UsageCapExceeded',
      };
    }
    if (res.status === 429) {
      const reset = Number(res.headers['x-rate-limit-reset']);
      const wait =
        Number.isFinite(reset) && reset > 0 ? Math.max(1, reset - Math.floor(Date.now() / 1000)) : 60;
      return { kind: 'rate_limited', message, retryAfterSeconds: wait };
    }
    return failureFromStatus(res.status, message);
  },
};
