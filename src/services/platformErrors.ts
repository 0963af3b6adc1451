// What a platform failure means to the service beyond its domain error (src/platforms/api.ts says which kind it
// is; src/http/errors.ts how the contract answers it).
import { PlatformApiError } from '../platforms/api';
import { counters } from './counters';

/**
 * Counts a platform rate limit that reaches the caller (one the service waited out is not counted), and hands
 * the error back to be thrown.
 */
export function reachingCaller<T>(err: T): T {
  if (err instanceof PlatformApiError && err.failure.kind === 'rate_limited') counters.platformRateLimits++;
  return err;
}

/**
 * The status of a connection whose grant the platform no longer accepts: `revoked` when the platform says
 * the user took the app's access away, `expired` otherwise. Both need a reconnect.
 */
export function lapsedStatus(byUser: boolean | undefined): 'revoked' | 'expired' {
  return byUser ? 'revoked' : 'expired';
}
