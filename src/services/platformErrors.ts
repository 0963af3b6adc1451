// Platform failures in the contract's terms: 429 with Retry-After for rate limits, 502 for the rest,
// with a message a person can act on.
import { ApiError } from '../http/errors';
import { PlatformApiError } from '../platforms/api';
import { PlatformUnreachableError } from '../platformHttp/client';
import { counters } from './counters';

export function platformFailure(err: PlatformApiError | PlatformUnreachableError): ApiError {
  if (err instanceof PlatformUnreachableError) {
    return new ApiError(err.reason === 'timeout' ? 504 : 502, err.message, { code: 'platform_unreachable' });
  }
  const { failure } = err;
  switch (failure.kind) {
    case 'rate_limited': {
      counters.platformRateLimits++;
      const wait = Math.max(1, Math.ceil(failure.retryAfterSeconds ?? 60));
      return new ApiError(429, `${failure.message} Retry after ${wait} s.`, {
        code: 'platform_rate_limited',
        headers: { 'Retry-After': String(wait) },
      });
    }
    case 'bad_request':
      return new ApiError(400, failure.message, {
        code: failure.queryTooLarge ? 'platform_query_too_large' : 'platform_rejected_request',
        ...(failure.reason ? { details: { reason: failure.reason } } : {}),
      });
    case 'not_found':
      return new ApiError(404, failure.message, { code: 'platform_not_found' });
    case 'forbidden':
      // 403 stays the contract's "your token lacks the permission"; this is the platform refusing the grant.
      return new ApiError(409, failure.message, {
        code: 'platform_forbidden',
        ...(failure.reason ? { details: { reason: failure.reason } } : {}),
      });
    case 'quota_exhausted':
      // Not a rate limit: nothing lifts it within a retry window, so no Retry-After invites a retry.
      return new ApiError(409, failure.message, {
        code: 'platform_quota_exhausted',
        ...(failure.reason ? { details: { reason: failure.reason } } : {}),
      });
    case 'token_invalid':
      return new ApiError(409, `${failure.message} Reconnect the account.`, { code: 'reconnect_required' });
    case 'version_retired':
      // Nothing the caller can change: the message names the setting the operator changes.
      return new ApiError(502, failure.message, { code: 'platform_version_retired' });
    default:
      return new ApiError(502, failure.message, { code: 'platform_error' });
  }
}

/**
 * The status of a connection whose grant the platform no longer accepts: `revoked` when the platform says
 * the user took the app's access away, `expired` otherwise. Both need a reconnect.
 */
export function lapsedStatus(byUser: boolean | undefined): 'revoked' | 'expired' {
  return byUser ? 'revoked' : 'expired';
}
