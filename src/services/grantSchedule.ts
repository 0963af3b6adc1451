// When a grant ends and when the sweep must next look at a connection. Pure functions of the record and the
// connector's dialect: the sweep, renewals and every status change agree on them.
import { ConnectorDefinition } from '../catalog/types';
import { TokenSet } from '../oauth/tokens';
import { ConnectionRecord } from '../stores/connectionStore';

const DAY_MS = 24 * 60 * 60 * 1000;
/** `reconnect_needed` is announced this long before `reconnect_by`; a grant the sweep can extend is renewed then. */
export const NOTICE_MS = 7 * DAY_MS;
/** How long the sweep leaves a grant alone after a renewal failed for a passing reason. */
export const RETRY_AFTER_FAILURE_MS = 30 * 60 * 1000;
/** Meta's exchange makes a long-lived token (about 60 days) from a short-lived one (hours), never more. */
const LONG_LIVED_MS = DAY_MS;

const ms = (iso: string | undefined) => (iso ? Date.parse(iso) : undefined);
const iso = (t: number) => new Date(t).toISOString();

/**
 * The time the grant stops working unless the user consents again, or undefined when nothing is known to end
 * it. `platformEnd` is what the platform says of the grant itself (Meta's debug_token); otherwise the refresh
 * token's end, Google's idle limit counted from this renewal, or (no refresh token) the access token's end.
 */
export function grantEndOf(
  def: ConnectorDefinition,
  tokens: TokenSet,
  platformEnd: string | undefined,
  now = Date.now(),
): string | undefined {
  const ends: number[] = [];
  const add = (t: number | undefined) => {
    if (t !== undefined && Number.isFinite(t)) ends.push(t);
  };
  add(ms(platformEnd));
  if (tokens.refresh_token) {
    add(ms(tokens.refresh_expires_at));
    const idleDays = def.oauth.refreshTokenIdleDays;
    if (idleDays !== undefined) add(now + idleDays * DAY_MS);
  } else if (platformEnd === undefined) {
    // Without a refresh token the grant lasts as long as the access token (Meta's long-lived one included).
    add(ms(tokens.expires_at));
  }
  return ends.length > 0 ? iso(Math.min(...ends)) : undefined;
}

/**
 * The grant's end estimated from a record alone, for connections written before reconnect_by existed: the
 * refresh token's end, Google's idle limit from the last renewal, or the access token's end where renewing
 * cannot extend it (Meta's long-lived token, LinkedIn without a refresh token). Undefined when unknown (X).
 */
export function grantEndOfRecord(def: ConnectorDefinition, record: ConnectionRecord): string | undefined {
  const ends: number[] = [];
  const refreshEnd = ms(record.refreshExpiresAt);
  if (refreshEnd !== undefined) ends.push(refreshEnd);
  const idleDays = def.oauth.refreshTokenIdleDays;
  const renewed = ms(record.lastRefreshedAt);
  if (idleDays !== undefined && renewed !== undefined) ends.push(renewed + idleDays * DAY_MS);
  const expires = ms(record.expiresAt);
  if (
    ends.length === 0 &&
    def.oauth.refresh !== 'rotating' &&
    idleDays === undefined &&
    expires !== undefined
  )
    ends.push(expires);
  return ends.length > 0 ? iso(Math.min(...ends)) : undefined;
}

/**
 * Whether renewing extends the grant itself: a rotating refresh token gets a new life with each use, and
 * using a refresh token resets an idle limit. Everything else (LinkedIn's fixed 365 days, Meta's long-lived
 * token) ends at `reconnect_by` whatever the service does.
 */
export function renewalExtendsGrant(def: ConnectorDefinition, record: ConnectionRecord): boolean {
  if (def.oauth.refreshTokenIdleDays !== undefined) return true;
  return def.oauth.refresh === 'rotating' && record.refreshExpiresAt !== undefined;
}

/** Meta: only a short-lived token can be exchanged for a longer one; a long-lived one comes back unchanged. */
export function exchangeExtendsToken(def: ConnectorDefinition, record: ConnectionRecord): boolean {
  if (def.oauth.refresh !== 'exchange') return true;
  const expires = ms(record.expiresAt);
  const issued = ms(record.lastRefreshedAt);
  return expires === undefined || issued === undefined || expires - issued < LONG_LIVED_MS;
}

/**
 * When the sweep must next look at an active connection, or undefined when it never needs to: a grant it
 * can extend is renewed NOTICE_MS before its end; one it cannot is announced then (once) and marked
 * `expired` at its end. Access tokens are never the sweep's business: they are renewed on use.
 */
export function sweepDueAt(def: ConnectorDefinition, record: ConnectionRecord): string | undefined {
  if (record.status !== 'active') return undefined;
  const end = ms(record.reconnectBy);
  if (end === undefined) return undefined;
  if (renewalExtendsGrant(def, record)) {
    // After a failed renewal the next attempt waits a while (a platform that is down is not hammered).
    const failed = ms(record.refreshFailedAt);
    return iso(Math.max(end - NOTICE_MS, failed === undefined ? -Infinity : failed + RETRY_AFTER_FAILURE_MS));
  }
  return record.reconnectNoticeFor === record.reconnectBy ? iso(end) : iso(end - NOTICE_MS);
}
