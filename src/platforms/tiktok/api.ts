// TikTok's API wraps every answer as {data, error:{code, message, log_id}}; code "ok" is success.
import { ApiDialect, ApiFailure, failureFromStatus } from '../api';
import { field } from '../../platformHttp/client';

/** What a caller can do about some of them, added to TikTok's message. */
const HINTS: Record<string, string> = {
  url_ownership_unverified:
    'TikTok pulls videos only from a domain or URL prefix verified for the app (TikTok developer portal, URL ' +
    'properties): verify the one video_url is under, or host the video there.',
  privacy_level_option_mismatch: "Use one of the creator's privacy_level_options.",
};

/** Content Posting refusals, by TikTok's code: what each means to the service, the code kept as the reason. */
const POSTING: Record<string, ApiFailure['kind']> = {
  privacy_level_option_mismatch: 'bad_request',
  url_ownership_unverified: 'bad_request',
  unaudited_client_can_only_post_to_private_accounts: 'forbidden',
  spam_risk_user_banned_from_posting: 'forbidden',
  // Daily caps: the creator's posts (about 15 a day) and an unaudited client's 5 users a day.
  spam_risk_too_many_posts: 'quota_exhausted',
  spam_risk_too_many_pending_share: 'quota_exhausted',
  reached_active_user_cap: 'quota_exhausted',
};

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
    if (typeof code === 'string' && POSTING[code]) {
      const hint = HINTS[code];
      return { kind: POSTING[code], message: hint ? `${message} ${hint}` : message, reason: code };
    }
    return failureFromStatus(res.status >= 300 ? res.status : 502, message);
  },
};
