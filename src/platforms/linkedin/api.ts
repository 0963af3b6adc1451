// LinkedIn: errors {message, serviceErrorCode, status}; every /rest call carries LinkedIn-Version and the
// Rest.li protocol header; 429 comes without Retry-After (limits are daily), 426 means a sunset version.
import { ApiDialect, failureFromStatus } from '../api';
import { field } from '../http';
import { LINKEDIN_VERSION } from './definition';

export const linkedinApi: ApiDialect = {
  headers: (token, { config }) => ({
    authorization: `Bearer ${token}`,
    'LinkedIn-Version': config.linkedin_version ?? process.env.CONNECTOR_LINKEDIN_VERSION ?? LINKEDIN_VERSION,
    'X-Restli-Protocol-Version': '2.0.0',
  }),
  classify: (res) => {
    if (res.status >= 200 && res.status < 300) return undefined;
    const detail = field(res.body, 'message');
    const message = `LinkedIn: ${typeof detail === 'string' ? detail : `HTTP ${res.status}`}`;
    if (res.status === 429) return { kind: 'rate_limited', message, retryAfterSeconds: 3600 };
    if (res.status === 426) {
      return {
        kind: 'platform',
        message: `${message} (the LinkedIn-Version is no longer served; set CONNECTOR_LINKEDIN_VERSION)`,
      };
    }
    return failureFromStatus(res.status, message);
  },
};
