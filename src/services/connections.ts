// OAuth connections: create (authorization URL and server-side state), list, get, test, refresh, delete,
// reconnect. The callback that completes a flow is in oauthCallback.ts.
import { ConnectionInput, ReconnectInput } from '../openapi/connections';
import { INPUT_LIMITS } from '../openapi/limits';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { ConnectorDefinition } from '../catalog/types';
import { authorizationUrl, newPkce, revokeGrant, usesPkce } from '../oauth/engine';
import { RefreshNotSupportedError } from '../oauth/errors';
import { fromBundle } from '../oauth/tokens';
import { families } from '../platforms/registry/families';
import { identityOf } from '../platforms/identity';
import { PlatformApiError } from '../platforms/api';
import { secretStore } from '../secrets';
import { settings } from '../settings';
import { CONNECTION_STATUSES, ConnectionRecord, connections } from '../stores/connectionStore';
import { oauthStates } from '../stores/oauthStateStore';
import { InsertFailedError } from '../stores/recordTable';
import { tablesSdk } from '../stores/tables';
import { resolveApp } from './appCredentials';
import { oauthRedirectUri } from './configurations';
import {
  connectionView,
  findConnection,
  loadConnection,
  tokenRef,
  updateConnection,
} from './connectionRecords';
import { forgetCallBudgets } from './callBudgets';
import { announceConnectionDeleted } from './connectionEvents';
import { entryOf, removeEntry } from './dueIndex';
import { encodeContinuation, listParameters, ListRequest } from './listing';
import { lapsedStatus, reachingCaller } from './platformErrors';
import { definitionOf, isRecordId } from './records';
import { freshToken } from './tokenLifecycle';
import { invalid, notFound } from '../shared/errors';

/** An authorization must complete within this time (10 minutes unless OAUTH_STATE_TTL_SECONDS says). */
const stateTtlMs = () => Number(settings().env.OAUTH_STATE_TTL_SECONDS ?? 600) * 1000;

export const stateKey = (state: string) => createHash('sha256').update(state).digest('hex');
export const verifierRef = (tenantId: string, key: string) => ({
  tenantId,
  kind: 'state' as const,
  id: key.slice(0, 40),
});

/** The scopes asked for (their number and form are the contract's), each once; the type's defaults when none. */
const scopesOf = (def: ConnectorDefinition, scopes: string[] | undefined): string[] =>
  scopes === undefined ? def.oauth.scopes : [...new Set(scopes)];

/**
 * The return URL, when the allowed origins take it. Its length as sent is the contract's (2,048); the state row
 * keeps it, so the escaped form must fit too, checked here before anything is written.
 */
function checkReturnUrl(returnUrl: string | null | undefined): string | undefined {
  if (returnUrl === undefined || returnUrl === null) return undefined;
  const limit = INPUT_LIMITS.returnUrlLength;
  let url: URL;
  try {
    url = new URL(returnUrl);
  } catch {
    throw invalid('return_url must be an absolute URL.');
  }
  if (!['http:', 'https:'].includes(url.protocol) || !settings().allowedReturnOrigins.includes(url.origin)) {
    throw invalid(
      `return_url must point to an allowed origin (${settings().allowedReturnOrigins.join(', ')}); set OAUTH_ALLOWED_RETURN_URLS to allow others.`,
      { code: 'return_url_not_allowed' },
    );
  }
  const normalized = url.toString();
  if (normalized.length > limit) {
    throw invalid(`return_url must be at most ${limit} characters (once its characters are escaped).`, {
      code: 'return_url_too_long',
    });
  }
  return normalized;
}

/** Stores a one-time state for a connection and returns the authorization URL that carries it. */
async function startAuthorization(
  record: ConnectionRecord,
  def: ConnectorDefinition,
  returnUrl: string | undefined,
) {
  const { app, config } = await resolveApp(record.tenantId, def, record.configId);
  const state = randomBytes(32).toString('base64url');
  const key = stateKey(state);
  const redirectUri = oauthRedirectUri();
  const pkce = usesPkce(def) ? newPkce() : undefined;
  const verifierVersion = pkce
    ? await secretStore().put(verifierRef(record.tenantId, key), { code_verifier: pkce.verifier })
    : undefined;
  const expiresAt = new Date(Date.now() + stateTtlMs()).toISOString();
  try {
    await oauthStates.insert({
      key,
      tenantId: record.tenantId,
      connectionId: record.id,
      redirectUri,
      returnUrl,
      expiresAt,
      verifierVersion,
    });
  } catch (err) {
    // The verifier goes only with a state known to be absent; otherwise the sweep removes both at expiry.
    if (verifierVersion && err instanceof InsertFailedError && err.absent) {
      await secretStore()
        .delete(verifierRef(record.tenantId, key))
        .catch(() => undefined);
    }
    throw err;
  }
  return {
    authorization_url: authorizationUrl(def, app, {
      state,
      redirectUri,
      scopes: record.scopes,
      pkce,
      config,
    }),
    state_expires_at: expiresAt,
  };
}

export async function createConnection(tenantId: string, body: ConnectionInput) {
  const def = definitionOf(body.connector_type);
  const scopes = scopesOf(def, body.scopes);
  const returnUrl = checkReturnUrl(body.return_url);
  const configId = body.config_id ? body.config_id.toLowerCase() : undefined;
  await resolveApp(tenantId, def, configId); // 400/404 before anything is written
  const now = new Date().toISOString();
  const record: ConnectionRecord = {
    tenantId,
    id: randomUUID(),
    connectorType: def.type,
    name: body.name !== undefined ? body.name.trim() : `${def.name} connection`,
    status: 'pending',
    configId,
    scopes,
    createdAt: now,
    updatedAt: now,
  };
  // The state first, the connection last: a failure in between leaves a state that names no connection (the
  // callback refuses it and the sweep removes it at expiry), never a pending connection that cannot complete.
  const flow = await startAuthorization(record, def, returnUrl);
  await connections.insert(record);
  return { ...connectionView(record), ...flow };
}

/** A fresh authorization URL for an existing connection; on success it becomes active again, same id. */
export async function reconnectConnection(tenantId: string, id: string, body: ReconnectInput) {
  const { value } = await loadConnection(tenantId, id);
  const flow = await startAuthorization(
    value,
    definitionOf(value.connectorType),
    checkReturnUrl(body.return_url),
  );
  return { ...connectionView(value), ...flow };
}

export async function getConnection(tenantId: string, id: string) {
  return connectionView((await loadConnection(tenantId, id)).value);
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** `reconnect_before` as the ISO form stored in reconnectBy (which sorts as time); 400 unless a valid time. */
function reconnectBeforeOf(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const time = ISO_TIME.test(raw) ? Date.parse(raw) : NaN;
  if (!Number.isFinite(time)) {
    throw invalid('reconnect_before must be an ISO 8601 date-time, e.g. 2027-01-31T00:00:00Z.', {
      code: 'invalid_reconnect_before',
    });
  }
  return new Date(time).toISOString();
}

export async function listConnections(tenantId: string, request: ListRequest & { reconnectBefore?: string }) {
  const { connectorType, status, limit, token } = listParameters(request, CONNECTION_STATUSES);
  const reconnectBefore = reconnectBeforeOf(request.reconnectBefore);
  const { odata } = await tablesSdk();
  let filter = odata`PartitionKey eq ${tenantId}`;
  if (connectorType) filter += ` and ${odata`connectorType eq ${connectorType}`}`;
  if (status) filter += ` and ${odata`status eq ${status}`}`;
  // ISO times compare as strings; a connection without reconnectBy has no such property and never matches.
  if (reconnectBefore) filter += ` and ${odata`reconnectBy lt ${reconnectBefore}`}`;
  const page = await connections.page(filter, limit, token);
  return {
    views: page.records.map(connectionView),
    unreadable: page.unreadable.map((r) => r.rowKey),
    continuationToken: encodeContinuation(page.continuationToken),
  };
}

export async function refreshConnection(tenantId: string, id: string) {
  const { value } = await loadConnection(tenantId, id);
  const def = definitionOf(value.connectorType);
  if (def.oauth.refresh === 'none') throw new RefreshNotSupportedError(def.name);
  const { record } = await freshToken(tenantId, id, { force: true, anyStatus: true });
  return connectionView(record);
}

/** The cheapest identity call; sets last_tested_at and the status. */
export async function testConnection(tenantId: string, id: string) {
  let ok = false;
  let account: { id: string; name?: string } | undefined;
  let problem: string | undefined;
  try {
    let fresh = await freshToken(tenantId, id, { anyStatus: true });
    const family = families[fresh.definition.family];
    try {
      account = await identityOf(family, fresh.context, fresh.tokens.access_token);
    } catch (err) {
      if (!(err instanceof PlatformApiError) || err.failure.kind !== 'token_invalid') throw err;
      if (err.failure.revokedByUser) throw err; // the user took access away: renewing cannot help
      // One renewal and one retry: the token may have died before its announced expiry.
      fresh = await freshToken(tenantId, id, { replacing: fresh.tokens.access_token, anyStatus: true });
      account = await identityOf(family, fresh.context, fresh.tokens.access_token);
    }
    ok = true;
  } catch (err) {
    if (err instanceof PlatformApiError && err.failure.kind === 'token_invalid') {
      problem = `${err.failure.message} Reconnect the account.`;
      await updateConnection(tenantId, id, (c) => ({
        ...c,
        status: lapsedStatus(err.failure.revokedByUser),
        lastError: problem,
        lastTestedAt: new Date().toISOString(),
      }));
      return { ok: false, error: problem, connection: await getConnection(tenantId, id) };
    }
    throw reachingCaller(err);
  }
  const { value } = await updateConnection(tenantId, id, (c) => ({
    ...c,
    status: 'active',
    lastError: undefined,
    lastTestedAt: new Date().toISOString(),
    accountId: c.accountId ?? account?.id,
    accountName: c.accountName ?? account?.name,
  }));
  return { ok, account: account ?? null, connection: connectionView(value) };
}

/** Revokes at the platform where it can, deletes the tokens, then the record. Idempotent in effect. */
export async function deleteConnection(tenantId: string, id: string, log: (message: string) => void) {
  const stored = await findConnection(tenantId, id);
  if (!stored) {
    // A retry after a failure half-way still removes the tokens the first attempt left.
    if (isRecordId(id)) await secretStore().delete(tokenRef(tenantId, id.toLowerCase()));
    throw notFound('No OAuth connection with this id.');
  }
  const record = stored.value;
  const def = definitionOf(record.connectorType);
  let revoked = false;
  if (record.secretVersion) {
    try {
      const bundle = await secretStore().get(tokenRef(tenantId, record.id), record.secretVersion);
      if (bundle) {
        const { app, config } = await resolveApp(tenantId, def, record.configId);
        const tokens = fromBundle(bundle);
        const { revoke } = families[def.family];
        if (revoke) {
          await revoke({ definition: def, config }, app, tokens);
          revoked = true;
        } else {
          revoked = await revokeGrant(def, app, tokens);
        }
      }
    } catch (err) {
      // Revocation is a courtesy to the user; a platform that refuses it must not keep the record alive.
      log(
        `revocation at ${def.name} failed for connection ${record.id}: ${err instanceof Error ? err.name : 'error'}`,
      );
    }
  }
  await secretStore().delete(tokenRef(tenantId, record.id));
  // Only the request whose delete removed the record announces it (a concurrent one finds it gone).
  if (await connections.delete(tenantId, record.id)) {
    if (record.dueAt) await removeEntry(entryOf(record, record.dueAt));
    await forgetCallBudgets(record.id);
    await announceConnectionDeleted(record);
  }
  return { id: record.id, deleted: true, revoked };
}
