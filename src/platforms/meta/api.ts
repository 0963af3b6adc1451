// Meta's Graph API: errors are {"error":{message,type,code,error_subcode}}, throttling usually arrives as
// HTTP 400/403 with codes 4, 17, 32, 613 or 80000-80014 rather than 429, and code 190 is a dead token.
import { ApiDialect, failureFromStatus } from '../api';
import { META_APP_REMOVED } from '../../oauth/engine';
import { field } from '../http';
import { META_ADS_VERSION_SETTING } from './definition';

/** "(#2635) You are calling a deprecated version of the Ads API": the Marketing API version has expired. */
const DEPRECATED_ADS_VERSION = 2635;

const THROTTLE_CODES = new Set([4, 17, 32, 613]);

function regainSeconds(headers: Record<string, string>): number | undefined {
  const raw = headers['x-business-use-case-usage'];
  if (!raw) return undefined;
  try {
    const usage = JSON.parse(raw) as Record<string, Array<{ estimated_time_to_regain_access?: number }>>;
    const minutes = Math.max(
      0,
      ...Object.values(usage)
        .flat()
        .map((u) => u.estimated_time_to_regain_access ?? 0),
    );
    return minutes > 0 ? minutes * 60 : undefined;
  } catch {
    return undefined;
  }
}

export const metaApi: ApiDialect = {
  headers: (token) => ({ authorization: `Bearer ${token}` }),
  classify: (res) => {
    if (res.status >= 200 && res.status < 300) return undefined;
    const code = field(res.body, 'error', 'code');
    const message = String(field(res.body, 'error', 'message') ?? `HTTP ${res.status}`);
    if (code === 190 || code === 102) {
      const revokedByUser = field(res.body, 'error', 'error_subcode') === META_APP_REMOVED;
      return { kind: 'token_invalid', message: `Meta: ${message}`, revokedByUser };
    }
    if (code === DEPRECATED_ADS_VERSION) {
      return {
        kind: 'version_retired',
        message: `Meta: ${message} Set ${META_ADS_VERSION_SETTING} to a current Marketing API version.`,
      };
    }
    if (typeof code === 'number' && (THROTTLE_CODES.has(code) || (code >= 80000 && code <= 80014))) {
      return {
        kind: 'rate_limited',
        message: `Meta rate limit: ${message}`,
        retryAfterSeconds: regainSeconds(res.headers) ?? 60,
      };
    }
    if (code === 10 || code === 200 || (typeof code === 'number' && code >= 200 && code < 300)) {
      return { kind: 'forbidden', message: `Meta: ${message}` };
    }
    if (code === 100 || code === 803) return { kind: 'bad_request', message: `Meta: ${message}` };
    if (field(res.body, 'error', 'is_transient') === true || res.status >= 500) {
      return { kind: 'platform', message: `Meta: ${message}` };
    }
    return failureFromStatus(res.status, `Meta: ${message}`);
  },
};
