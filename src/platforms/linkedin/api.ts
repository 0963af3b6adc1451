// LinkedIn: errors {message, serviceErrorCode, status}; every /rest call carries LinkedIn-Version and the
// Rest.li protocol header; 429 comes without Retry-After (limits are daily), 426 means a sunset version.
import { apiVersion } from '../../catalog/apiVersions';
import { ApiDialect, failureFromStatus } from '../api';
import { field } from '../../platformHttp/client';

const REVOKED_BY_MEMBER = 65601;

export const linkedinApi: ApiDialect = {
  headers: (token, { definition }) => ({
    authorization: `Bearer ${token}`,
    'LinkedIn-Version': apiVersion(definition, 'rest'),
    'X-Restli-Protocol-Version': '2.0.0',
  }),
  classify: (res) => {
    if (res.status >= 200 && res.status < 300) return undefined;
    const detail = field(res.body, 'message');
    const message = `LinkedIn: ${typeof detail === 'string' ? detail : `HTTP ${res.status}`}`;
    if (res.status === 429) return { kind: 'rate_limited', message, retryAfterSeconds: 3600 };
    if (res.status === 426) {
      return {
        kind: 'version_retired',
        message: `${message} (LinkedIn no longer serves this LinkedIn-Version; set CONNECTOR_LINKEDIN_API_VERSION to a current one)`,
      };
    }
    // serviceErrorCode 65601: the member revoked the app's access; the connection is `revoked`, not `expired`.
    if (res.status === 401 && field(res.body, 'serviceErrorCode') === REVOKED_BY_MEMBER) {
      return { kind: 'token_invalid', message, revokedByUser: true };
    }
    return failureFromStatus(res.status, message);
  },
};
