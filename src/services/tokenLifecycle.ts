// A valid access token on demand. Renewal happens under a lease on the connection's record (an ETag-guarded
// write), so exactly one request across every instance renews a connection; the others wait and re-read.
import { randomUUID } from 'node:crypto';
import { ConnectorDefinition } from '../catalog/types';
import { renewTokens } from '../oauth/engine';
import { ClientRejectedError, GrantRevokedError, TokenEndpointError } from '../oauth/errors';
import { fromBundle, toBundle, TokenSet } from '../oauth/tokens';
import { ApiContext } from '../platforms/api';
import { secretStore } from '../secrets';
import { ConnectionRecord, connections } from '../stores/connectionStore';
import { EtagMismatchError, Stored } from '../stores/recordTable';
import { resolveApp } from './appCredentials';
import { definitionOf } from './records';
import { loadConnection, tokenRef, updateConnection } from './connectionRecords';
import { counters } from './counters';
import { reconnectByOf } from './grantEnd';
import { exchangeExtendsToken } from './grantSchedule';
import { lapsedStatus } from './platformErrors';
import { DomainError, conflict, platformRefused, unavailable } from '../shared/errors';

const REFRESH_MARGIN_MS = 5 * 60 * 1000;
const LEASE_MS = 30_000;
const WAIT_STEP_MS = 100;
/** How long before its end a refresh token that expires is renewed, where renewing extends it. */
const REFRESH_TOKEN_MARGIN_MS = 7 * 24 * 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface FreshToken {
  record: ConnectionRecord;
  tokens: TokenSet;
  definition: ConnectorDefinition;
  context: ApiContext;
}

export interface TokenOptions {
  /** Renew even if the token looks valid (the refresh route). */
  force?: boolean;
  /** Renew only if the stored access token is still this one (it was just refused by the platform). */
  replacing?: string;
  /** Renew when the token expires within this many ms (the sweep looks further ahead). */
  horizonMs?: number;
  /** Allow a connection that is not active (the refresh and test routes try to bring one back). */
  anyStatus?: boolean;
  /** The record as the caller just read it, to save a read when it is still current. */
  current?: Stored<ConnectionRecord>;
}

const ms = (iso: string | undefined) => (iso ? Date.parse(iso) : undefined);

/** Whether a record's tokens should be renewed now, looking `horizonMs` ahead. */
export function needsRenewal(
  record: ConnectionRecord,
  def: ConnectorDefinition,
  horizonMs: number,
  now = Date.now(),
) {
  // Meta's long-lived token comes back unchanged from an exchange: renewing it would only cost a call.
  if (!exchangeExtendsToken(def, record)) return false;
  const expires = ms(record.expiresAt);
  const issued = ms(record.lastRefreshedAt);
  // A token that lives less than twice the margin would be renewed on every use: look half its life ahead.
  const lookAhead =
    expires !== undefined && issued !== undefined ? Math.min(horizonMs, (expires - issued) / 2) : horizonMs;
  if (expires !== undefined && expires - now <= lookAhead) return true;
  // A refresh token the platform drops when unused (Google: six months) is used before that day comes.
  const idleDays = def.oauth.refreshTokenIdleDays;
  const idleLimit = idleDays === undefined ? undefined : idleDays * DAY_MS - REFRESH_TOKEN_MARGIN_MS;
  if (idleLimit !== undefined && issued !== undefined && now - issued >= idleLimit) return true;
  const refreshExpires = ms(record.refreshExpiresAt);
  // Only a rotating refresh token gets a new life by being used; LinkedIn's keeps its original end.
  return (
    def.oauth.refresh === 'rotating' &&
    refreshExpires !== undefined &&
    refreshExpires - now <= REFRESH_TOKEN_MARGIN_MS
  );
}

const noTokens = () =>
  conflict('The connection has no tokens; complete or reconnect its authorization.', { code: 'no_tokens' });

/**
 * The tokens of the version the record names. A renewal elsewhere may have pruned that version since the record
 * was read: then the record as it is now comes back (`moved`), to be decided on again. Only a version that the
 * current record still names and that is missing means there are no tokens.
 */
async function readTokens(
  record: ConnectionRecord,
): Promise<{ tokens: TokenSet } | { moved: Stored<ConnectionRecord> }> {
  const bundle = record.secretVersion
    ? await secretStore().get(tokenRef(record.tenantId, record.id), record.secretVersion)
    : undefined;
  if (bundle) return { tokens: fromBundle(bundle) };
  if (!record.secretVersion) throw noTokens();
  const now = await loadConnection(record.tenantId, record.id);
  if (now.value.secretVersion === record.secretVersion) throw noTokens();
  return { moved: now };
}

async function contextOf(record: ConnectionRecord) {
  const definition = definitionOf(record.connectorType);
  const { app, config } = await resolveApp(record.tenantId, definition, record.configId);
  return { definition, app, context: { definition, config } };
}

const sleep = (msToWait: number) => new Promise((r) => setTimeout(r, msToWait));

export async function freshToken(
  tenantId: string,
  id: string,
  options: TokenOptions = {},
): Promise<FreshToken> {
  const started = Date.now();
  const horizon = options.horizonMs ?? REFRESH_MARGIN_MS;
  let known = options.current;
  for (;;) {
    const stored = known ?? (await loadConnection(tenantId, id));
    known = undefined;
    const record = stored.value;
    if (!options.anyStatus && record.status !== 'active') {
      throw conflict(`The connection is ${record.status}, not active.`, { code: 'connection_not_active' });
    }
    const read = await readTokens(record);
    if ('moved' in read) {
      known = read.moved;
      continue;
    }
    const { tokens } = read;
    const { definition, context } = await contextOf(record);
    const renewedSinceAsked = (ms(record.lastRefreshedAt) ?? 0) >= started;
    const wanted = options.replacing
      ? tokens.access_token === options.replacing
      : options.force
        ? !renewedSinceAsked
        : needsRenewal(record, definition, horizon);
    if (!wanted) return { record, tokens, definition, context };

    const leaseUntil = ms(record.leaseUntil);
    if (leaseUntil !== undefined && leaseUntil > Date.now() && record.leaseOwner) {
      if (Date.now() - started > LEASE_MS + 5000) {
        throw unavailable('Another request is renewing this connection; try again shortly.', {
          code: 'refresh_busy',
        });
      }
      await sleep(WAIT_STEP_MS);
      continue;
    }
    const owner = randomUUID();
    try {
      const lease = {
        ...record,
        leaseUntil: new Date(Date.now() + LEASE_MS).toISOString(),
        leaseOwner: owner,
      };
      await connections.replace(lease, stored.etag);
    } catch (err) {
      if (err instanceof EtagMismatchError) continue; // someone else moved first: re-read
      throw err;
    }
    return renewUnderLease(record, owner, tokens);
  }
}

/** Writes `change` and gives the lease up, if this request still holds it; others may have written meanwhile. */
function releaseLease(record: ConnectionRecord, owner: string, change: Partial<ConnectionRecord>) {
  return updateConnection(record.tenantId, record.id, (current) => ({
    ...current,
    ...change,
    ...(current.leaseOwner === owner ? { leaseUntil: undefined, leaseOwner: undefined } : {}),
  }));
}

async function renewUnderLease(
  record: ConnectionRecord,
  owner: string,
  tokens: TokenSet,
): Promise<FreshToken> {
  const { definition, app, context } = await contextOf(record);
  let renewed: TokenSet;
  try {
    renewed = await renewTokens(definition, app, tokens);
    counters.refreshes++;
  } catch (err) {
    counters.refreshFailures++;
    if (err instanceof GrantRevokedError) {
      await releaseLease(record, owner, {
        status: lapsedStatus(err.byUser),
        lastError: `${err.message} Reconnect the account to restore access.`,
      });
      throw new DomainError(
        'reconnect_required',
        "The platform no longer accepts this connection's grant; reconnect it.",
      );
    }
    if (err instanceof ClientRejectedError) {
      await releaseLease(record, owner, {
        status: 'error',
        lastError: `${err.message} Check the app credentials.`,
      });
      throw platformRefused(`${err.message} Check the app credentials.`, {
        code: 'app_credentials_rejected',
      });
    }
    await releaseLease(record, owner, { refreshFailedAt: new Date().toISOString() });
    if (err instanceof TokenEndpointError) {
      throw platformRefused(`${definition.name} could not renew the token: ${err.message}`);
    }
    throw err;
  }
  // The new tokens are stored before anything uses them: a rotated refresh token must never be lost.
  const ref = tokenRef(record.tenantId, record.id);
  const version = await secretStore().put(ref, toBundle(renewed));
  const reconnectBy = await reconnectByOf(definition, app, context, renewed);
  const { value } = await releaseLease(record, owner, {
    secretVersion: version,
    expiresAt: renewed.expires_at,
    refreshExpiresAt: renewed.refresh_expires_at,
    reconnectBy,
    lastRefreshedAt: new Date().toISOString(),
    refreshFailedAt: undefined,
    status: 'active',
    lastError: undefined,
  });
  await secretStore()
    .prune(ref, version)
    .catch(() => undefined);
  return { record: value, tokens: renewed, definition, context };
}
