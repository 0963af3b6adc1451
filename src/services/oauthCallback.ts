// The anonymous browser callback that completes an authorization: consume the state once, exchange the
// code with the same redirect URI and verifier, keep the tokens in the secret store, record the account.
import { ApiError, badRequest } from '../http/errors';
import { exchangeCode } from '../oauth/engine';
import { toBundle, TokenSet } from '../oauth/tokens';
import { renewTokens } from '../oauth/engine';
import { families } from '../platforms';
import { identityOf } from '../platforms/identity';
import { secretStore } from '../secrets';
import { ConnectionRecord } from '../stores/connectionStore';
import { OAuthStateRecord, oauthStates, statePartition } from '../stores/oauthStateStore';
import { EtagMismatchError } from '../stores/recordTable';
import { resolveApp } from './appCredentials';
import { definitionOf } from './records';
import { reconnectByOf } from './grantEnd';
import { findConnection, tokenRef, updateConnection } from './connectionRecords';
import { stateKey, verifierRef } from './connections';

export type CallbackOutcome =
  | { kind: 'active'; connection: ConnectionRecord; returnUrl?: string }
  | { kind: 'error'; connectionId: string; error: string; description: string; returnUrl?: string };

const invalidState = () =>
  new ApiError(
    400,
    'This authorization link is unknown, expired or already used; start the connection again.',
    {
      code: 'invalid_state',
    },
  );

/** Takes the state exactly once: a conditional delete by ETag, so two concurrent callbacks cannot both win. */
async function consumeState(state: string): Promise<OAuthStateRecord> {
  if (state.length < 20 || state.length > 200) throw invalidState();
  const key = stateKey(state);
  const stored = await oauthStates.read(statePartition(key), key);
  if (!stored) throw invalidState();
  try {
    if (!(await oauthStates.delete(statePartition(key), key, stored.etag))) throw invalidState();
  } catch (err) {
    if (err instanceof EtagMismatchError) throw invalidState();
    throw err;
  }
  if (Date.parse(stored.value.expiresAt) < Date.now()) throw invalidState();
  return stored.value;
}

const ERROR_CODE = /^[A-Za-z0-9_.-]{1,64}$/;

export async function completeAuthorization(
  query: URLSearchParams,
  log: (m: string) => void,
): Promise<CallbackOutcome> {
  const state = query.get('state');
  if (!state) throw badRequest('The callback has no state.', { code: 'invalid_state' });
  const pending = await consumeState(state);
  const { tenantId, connectionId } = pending;
  const verifier = pending.verifierVersion
    ? await secretStore().get(verifierRef(tenantId, pending.key), pending.verifierVersion)
    : undefined;
  await secretStore()
    .delete(verifierRef(tenantId, pending.key))
    .catch(() => undefined);

  const stored = await findConnection(tenantId, connectionId);
  if (!stored) throw invalidState(); // deleted while the user was at the platform

  const platformError = query.get('error') ?? query.get('error_code');
  if (platformError) {
    const code = ERROR_CODE.test(platformError) ? platformError : 'authorization_failed';
    const description = (query.get('error_description') ?? query.get('error_reason') ?? code).slice(0, 300);
    await markFailed(
      tenantId,
      connectionId,
      `The platform refused the authorization: ${code} (${description}).`,
    );
    return { kind: 'error', connectionId, error: code, description, returnUrl: pending.returnUrl };
  }
  const code = query.get('code') ?? query.get('auth_code');
  if (!code) throw badRequest('The callback has neither a code nor an error.', { code: 'invalid_callback' });

  const record = stored.value;
  const def = definitionOf(record.connectorType);
  let tokens: TokenSet;
  let account: { id: string; name?: string } | undefined;
  let reconnectBy: string | undefined;
  try {
    const { app, config } = await resolveApp(tenantId, def, record.configId);
    tokens = await exchangeCode(def, app, {
      code,
      redirectUri: pending.redirectUri,
      codeVerifier: verifier?.code_verifier,
    });
    // Meta's code gives a short-lived token; the long-lived one lasts about 60 days. Should the exchange fail,
    // the short-lived token still works, and renewal tries again before it lapses.
    if (def.oauth.refresh === 'exchange') {
      const shortLived = tokens;
      tokens = await renewTokens(def, app, tokens).catch((err: unknown) => {
        log(`long-lived token exchange failed: ${err instanceof Error ? err.name : 'error'}`);
        return shortLived;
      });
    }
    reconnectBy = await reconnectByOf(def, app, { definition: def, config }, tokens);
    account = await identityOf(families[def.family], { definition: def, config }, tokens.access_token).catch(
      (err: unknown) => {
        log(`identity call after authorization failed: ${err instanceof Error ? err.name : 'error'}`);
        return undefined;
      },
    );
  } catch (err) {
    const message = err instanceof Error ? err.message : 'unknown error';
    await markFailed(tenantId, connectionId, `The code exchange failed: ${message}`);
    return {
      kind: 'error',
      connectionId,
      error: 'token_exchange_failed',
      description: message,
      returnUrl: pending.returnUrl,
    };
  }

  const ref = tokenRef(tenantId, connectionId);
  const version = await secretStore().put(ref, toBundle(tokens));
  const now = new Date().toISOString();
  let updated;
  try {
    updated = await updateConnection(tenantId, connectionId, (c) => ({
      ...c,
      status: 'active',
      secretVersion: version,
      expiresAt: tokens.expires_at,
      refreshExpiresAt: tokens.refresh_expires_at,
      reconnectBy,
      // A new grant: its reconnect notice is still to come.
      reconnectNoticeFor: undefined,
      refreshFailedAt: undefined,
      lastRefreshedAt: now,
      accountId: account?.id ?? c.accountId,
      accountName: account?.name ?? c.accountName,
      scopes: tokens.scope ? tokens.scope.split(/[ ,]+/).filter(Boolean) : c.scopes,
      lastError: undefined,
      leaseUntil: undefined,
      leaseOwner: undefined,
    }));
  } catch (err) {
    // The connection vanished meanwhile: its new tokens must not outlive it.
    await secretStore()
      .delete(ref)
      .catch(() => undefined);
    throw err;
  }
  await secretStore()
    .prune(ref, version)
    .catch(() => undefined);
  return { kind: 'active', connection: updated.value, returnUrl: pending.returnUrl };
}

async function markFailed(tenantId: string, connectionId: string, message: string) {
  // A failed reconnect leaves a working connection as it is; a first attempt becomes 'error'.
  await updateConnection(tenantId, connectionId, (c) => ({
    ...c,
    status: c.status === 'pending' ? 'error' : c.status,
    lastError: message,
  })).catch(() => undefined);
}
