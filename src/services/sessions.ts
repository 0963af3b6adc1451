// Sessions keep an operations client's state across requests: the active account, the last query and
// its cursor, defaults. Ids are unguessable; a session belongs to one connection of one tenant, and
// expires after SESSION_IDLE_HOURS without use.
import { randomBytes } from 'node:crypto';
import { settings } from '../settings';
import { Stored } from '../stores/recordTable';
import { whileContended } from './records';
import { SessionRecord, sessions } from '../stores/sessionStore';
import { notFound } from '../shared/errors';

const SESSION_ID = /^ses_[A-Za-z0-9_-]{43}$/;

const idleMs = () => settings().sessionIdleHours * 60 * 60 * 1000;

function newSession(tenantId: string, connectionId: string): SessionRecord {
  const now = new Date();
  return {
    tenantId,
    id: `ses_${randomBytes(32).toString('base64url')}`,
    connectionId,
    defaults: {},
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + idleMs()).toISOString(),
  };
}

const unknownSession = () =>
  notFound('Unknown or expired session for this connection; omit the session id to start one.');

/** The named session (404 unless it is this connection's and alive), or a new one when none is named. */
export async function openSession(
  tenantId: string,
  connectionId: string,
  sessionId: string | undefined,
): Promise<Stored<SessionRecord>> {
  if (!sessionId) {
    const session = newSession(tenantId, connectionId);
    return { value: session, etag: await sessions.insert(session) };
  }
  if (!SESSION_ID.test(sessionId)) throw unknownSession();
  const stored = await sessions.read(tenantId, sessionId);
  if (
    !stored ||
    stored.value.connectionId !== connectionId ||
    Date.parse(stored.value.expiresAt) <= Date.now()
  ) {
    throw unknownSession();
  }
  return stored;
}

/**
 * Applies `change` to the session under its ETag, re-reading and re-applying when a concurrent request
 * of the same session wrote first, so no write is lost. Every update extends the idle expiry.
 */
export async function updateSession(
  tenantId: string,
  sessionId: string,
  change: (current: SessionRecord) => SessionRecord,
  known?: Stored<SessionRecord>,
): Promise<SessionRecord> {
  const updated = await whileContended('session', () =>
    sessions.update(
      tenantId,
      sessionId,
      (current) => {
        const now = new Date();
        return {
          ...change(current),
          updatedAt: now.toISOString(),
          expiresAt: new Date(now.getTime() + idleMs()).toISOString(),
        };
      },
      { known },
    ),
  );
  if (!updated) throw unknownSession();
  return updated.value;
}

export function sessionState(s: SessionRecord) {
  return {
    session_id: s.id,
    connection_id: s.connectionId,
    account_id: s.accountId ?? null,
    last_query: s.lastQuery ?? null,
    next_cursor: s.nextCursor ?? null,
    defaults: s.defaults,
    pending_execute: s.pendingExecute
      ? { operation: s.pendingExecute.operation, started_at: s.pendingExecute.startedAt }
      : null,
    created_at: s.createdAt,
    updated_at: s.updatedAt,
    expires_at: s.expiresAt,
  };
}
