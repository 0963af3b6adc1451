// Google APIs (Google Ads, YouTube): {"error":{code,message,status,details|errors}}. Google Ads quota
// arrives as 429 RESOURCE_EXHAUSTED with a retryDelay; YouTube's daily quota as 403 quotaExceeded.
import { ApiDialect, failureFromStatus } from '../api';
import { field } from '../../platformHttp/client';

function retryDelaySeconds(body: unknown): number | undefined {
  const details = field(body, 'error', 'details');
  if (!Array.isArray(details)) return undefined;
  for (const detail of details) {
    const errors = field(detail, 'errors');
    const list = Array.isArray(errors) ? errors : [];
    for (const e of list) {
      const delay = field(e, 'details', 'quotaErrorDetails', 'retryDelay');
      if (typeof delay === 'string') return Math.ceil(parseFloat(delay));
    }
    const delay = field(detail, 'retryDelay');
    if (typeof delay === 'string') return Math.ceil(parseFloat(delay));
  }
  return undefined;
}

/** The first Google Ads error message, which says far more than the top-level one. */
function adsMessage(body: unknown): string | undefined {
  const details = field(body, 'error', 'details');
  if (!Array.isArray(details)) return undefined;
  for (const detail of details) {
    const errors = field(detail, 'errors');
    if (Array.isArray(errors) && errors.length > 0) {
      const message = field(errors[0], 'message');
      if (typeof message === 'string') return message;
    }
  }
  return undefined;
}

/** The first Google Ads error code, e.g. {category: 'authorizationError', code: 'USER_PERMISSION_DENIED'}. */
function adsErrorCode(body: unknown): { category: string; code: string } | undefined {
  const details = field(body, 'error', 'details');
  if (!Array.isArray(details)) return undefined;
  for (const detail of details) {
    const errors = field(detail, 'errors');
    const errorCode = Array.isArray(errors) ? field(errors[0], 'errorCode') : undefined;
    if (errorCode !== null && typeof errorCode === 'object') {
      const [entry] = Object.entries(errorCode as Record<string, unknown>);
      if (entry && typeof entry[1] === 'string') return { category: entry[0], code: entry[1] };
    }
  }
  return undefined;
}

/**
 * AuthenticationErrors (HTTP 401) about the Google account rather than the token: renewing the grant or
 * reconnecting the same account cannot help, so they are not `token_invalid` (AuthenticationErrorEnum).
 */
const ACCOUNT_PROBLEMS: Record<string, string> = {
  NOT_ADS_USER: 'the Google account that connected has no Google Ads account: connect one that has access',
  TWO_STEP_VERIFICATION_NOT_ENROLLED:
    'the Google Ads account requires 2-Step Verification: turn it on for the Google account, then try again',
  ADVANCED_PROTECTION_NOT_ENROLLED:
    'the Google Ads account requires Advanced Protection: enroll the Google account, then try again',
  CUSTOMER_NOT_FOUND: 'no Google Ads customer has this id, or it is not reachable with this connection',
};

// login-customer-id is not a header of every call: it depends on the customer a call acts on (a client
// behind a manager needs the manager's id, a customer the user reaches directly none), so the operations
// module sends it per request.
export const googleApi: ApiDialect = {
  headers: (token, { definition, config }) => ({
    authorization: `Bearer ${token}`,
    ...(definition.type === 'google_ads' && config.developer_token
      ? { 'developer-token': config.developer_token }
      : {}),
  }),
  classify: (res) => {
    if (res.status >= 200 && res.status < 300) return undefined;
    const status = field(res.body, 'error', 'status');
    const message = `Google: ${adsMessage(res.body) ?? String(field(res.body, 'error', 'message') ?? `HTTP ${res.status}`)}`;
    const reasons = field(res.body, 'error', 'errors');
    const reason = Array.isArray(reasons) ? field(reasons[0], 'reason') : undefined;
    const adsCode = adsErrorCode(res.body);
    // A refused developer token (401 DEVELOPER_TOKEN_INVALID…) is configuration: renewing the grant cannot help.
    if (adsCode?.code.includes('DEVELOPER_TOKEN')) {
      return { kind: 'forbidden', message };
    }
    const accountProblem = adsCode && ACCOUNT_PROBLEMS[adsCode.code];
    if (accountProblem) {
      return {
        kind: 'forbidden',
        message: `${message} (${adsCode.code}: ${accountProblem})`,
        reason: adsCode.code,
      };
    }
    if (res.status === 401 || status === 'UNAUTHENTICATED') return { kind: 'token_invalid', message };
    if (res.status === 429 || status === 'RESOURCE_EXHAUSTED') {
      return { kind: 'rate_limited', message, retryAfterSeconds: retryDelaySeconds(res.body) ?? 60 };
    }
    if (reason === 'quotaExceeded' || reason === 'rateLimitExceeded' || reason === 'userRateLimitExceeded') {
      // YouTube's quota is daily; there is no Retry-After, so the client is told to wait an hour.
      return { kind: 'rate_limited', message, retryAfterSeconds: reason === 'quotaExceeded' ? 3600 : 60 };
    }
    return failureFromStatus(res.status, message);
  },
};
