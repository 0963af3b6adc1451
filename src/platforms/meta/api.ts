// Meta's Graph API: errors are {"error":{message,type,code,error_subcode}}, throttling usually arrives as
// HTTP 400/403 with codes 4, 17, 32, 613 or 80000-80014 rather than 429, and code 190 is a dead token.
import { ApiDialect, failureFromStatus } from '../api';
import { field } from '../../platformHttp/client';
import { META_ADS_VERSION_SETTING, META_APP_REMOVED } from './definition';

/** "(#368) The action attempted has been deemed abusive or is otherwise disallowed": a temporary block. */
const TEMPORARILY_BLOCKED = 368;
/** "(#2635) You are calling a deprecated version of the Ads API": the Marketing API version has expired. */
const DEPRECATED_ADS_VERSION = 2635;

const THROTTLE_CODES = new Set([4, 17, 32, 613]);

/** X-Ad-Account-Usage: an ad account's throttle says in reset_time_duration (seconds) when its budget resets. */
function adAccountResetSeconds(headers: Record<string, string>): number | undefined {
  const raw = headers['x-ad-account-usage'];
  if (!raw) return undefined;
  try {
    const reset = (JSON.parse(raw) as { reset_time_duration?: unknown }).reset_time_duration;
    return typeof reset === 'number' && reset > 0 ? reset : undefined;
  } catch {
    return undefined;
  }
}

function regainSeconds(headers: Record<string, string>): number | undefined {
  const adAccount = adAccountResetSeconds(headers);
  const raw = headers['x-business-use-case-usage'];
  if (!raw) return adAccount;
  try {
    const usage = JSON.parse(raw) as Record<string, Array<{ estimated_time_to_regain_access?: number }>>;
    const minutes = Math.max(
      0,
      ...Object.values(usage)
        .flat()
        .map((u) => u.estimated_time_to_regain_access ?? 0),
    );
    const seconds = Math.max(minutes * 60, adAccount ?? 0);
    return seconds > 0 ? seconds : undefined;
  } catch {
    return adAccount;
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
    if (code === TEMPORARILY_BLOCKED) {
      const title = field(res.body, 'error', 'error_user_title');
      return {
        kind: 'forbidden',
        message: `Meta: ${message}${typeof title === 'string' ? ` (${title})` : ''}. Meta lifts such blocks after a while; retrying now prolongs it.`,
        reason: 'temporarily_blocked',
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
