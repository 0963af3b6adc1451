// The anonymous browser callback that completes an authorization: consume the state once, exchange the
// code with the same redirect URI and verifier, keep the tokens in the secret store, record the account.
import { exchangeCode } from '../oauth/engine';
import { toBundle, TokenSet } from '../oauth/tokens';
import { renewTokens } from '../oauth/engine';
import { families } from '../platforms/registry/families';
import { identityOf } from '../platforms/identity';
import { secretStore } from '../secrets';
import { ConnectionRecord } from '../stores/connectionStore';
import { OAuthStateRecord, oauthStates, statePartition } from '../stores/oauthStateStore';
import { EtagMismatchError, Stored } from '../stores/recordTable';
import { PlatformUnreachableError } from '../platformHttp/client';
import { PlatformApiError } from '../platforms/api';
import { resolveApp } from './appCredentials';
import { definitionOf } from './records';
import { reconnectByOf } from './grantEnd';
import { findConnection, tokenRef, updateConnection } from './connectionRecords';
import { stateKey, verifierRef } from './connections';
import { DomainError, invalid } from '../shared/errors';

export type CallbackOutcome =
  | { kind: 'active'; connection: ConnectionRecord; returnUrl?: string }
  | { kind: 'error'; connectionId: string; error: string; description: string; returnUrl?: string };

const invalidState = () =>
  invalid(
    'This authorization link is unknown, expired or already used, so nothing changed. If you have just ' +
      'authorized this connection, it is already set up.',
    { code: 'invalid_state' },
  );

/**
 * Our own dependency (storage, the secret store) failed during the callback. `linkStillWorks`: nothing was
 * consumed, so the same link works once it is back; otherwise the platform's one-time code is spent.
 */
export class CallbackUnavailableError extends Error {
  constructor(
    override readonly cause: unknown,
    readonly linkStillWorks: boolean,
  ) {
    super(
      linkStillWorks
        ? 'A service this connection needs is unavailable right now, so nothing was changed. Open the same link again in a few minutes.'
        : 'The platform authorized the connection, but it could not be saved because a service it needs is unavailable. Start the connection again in a few minutes.',
    );
    this.name = 'CallbackUnavailableError';
  }
}

/** The pending authorization a state names, still unexpired; nothing is consumed yet. */
async function readState(state: string) {
  if (state.length < 20 || state.length > 200) throw invalidState();
  const key = stateKey(state);
  const stored = await oauthStates.read(statePartition(key), key);
  if (!stored || Date.parse(stored.value.expiresAt) < Date.now()) throw invalidState();
  return stored;
}

/** Takes the state exactly once: a conditional delete by ETag, so two concurrent callbacks cannot both win. */
async function consumeState(stored: Stored<OAuthStateRecord>): Promise<void> {
  const { key, tenantId, verifierVersion } = stored.value;
  try {
    if (!(await oauthStates.delete(statePartition(key), key, stored.etag))) throw invalidState();
  } catch (err) {
    if (err instanceof EtagMismatchError) throw invalidState();
    throw err;
  }
  if (verifierVersion) {
    await secretStore()
      .delete(verifierRef(tenantId, key))
      .catch(() => undefined);
  }
}

/** Runs a step that needs only our own dependencies: their failure is ours, never the platform's. */
async function ours<T>(linkStillWorks: boolean, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    if (err instanceof DomainError) throw err;
    throw new CallbackUnavailableError(err, linkStillWorks);
  }
}

const ERROR_CODE = /^[A-Za-z0-9_.-]{1,64}$/;

export async function completeAuthorization(
  query: URLSearchParams,
  log: (m: string) => void,
): Promise<CallbackOutcome> {
  const state = query.get('state');
  if (!state) throw invalid('The callback has no state.', { code: 'invalid_state' });
  const pendingState = await ours(true, () => readState(state));
  const pending = pendingState.value;
  const { tenantId, connectionId } = pending;
  const stored = await ours(true, () => findConnection(tenantId, connectionId));
  if (!stored) throw invalidState(); // deleted while the user was at the platform (the sweep removes the state)

  const platformError = query.get('error') ?? query.get('error_code');
  if (platformError) {
    await ours(true, () => consumeState(pendingState));
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
  if (!code) throw invalid('The callback has neither a code nor an error.', { code: 'invalid_callback' });

  const record = stored.value;
  const def = definitionOf(record.connectorType);
  // Everything the exchange needs, before the one-time state is spent: the PKCE verifier, the app credentials,
  // and a secret store that answers (the tokens go there). A failure of ours leaves the link usable.
  const [verifier, resolved] = await ours(true, () =>
    Promise.all([
      pending.verifierVersion
        ? secretStore().get(verifierRef(tenantId, pending.key), pending.verifierVersion)
        : undefined,
      resolveApp(tenantId, def, record.configId).catch((err: unknown) => {
        // The configuration itself is unusable (gone, inactive, no secret for OAuth): said below.
        if (err instanceof DomainError && ['invalid', 'not_found', 'conflict'].includes(err.kind)) return err;
        throw err;
      }),
      secretStore().ping(),
    ]),
  );
  await ours(true, () => consumeState(pendingState));
  if (resolved instanceof DomainError) {
    await markFailed(tenantId, connectionId, `The app credentials cannot be used: ${resolved.message}`);
    return {
      kind: 'error',
      connectionId,
      error: 'app_credentials_unusable',
      description: resolved.message,
      returnUrl: pending.returnUrl,
    };
  }
  const { app, config } = resolved;
  let tokens: TokenSet;
  let account: { id: string; name?: string } | undefined;
  let reconnectBy: string | undefined;
  try {
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
    const message =
      err instanceof PlatformApiError
        ? err.failure.message
        : err instanceof Error
          ? err.message
          : 'unknown error';
    // Unreachable is not a refusal: the platform never said no.
    const error = err instanceof PlatformUnreachableError ? 'platform_unreachable' : 'token_exchange_failed';
    await markFailed(
      tenantId,
      connectionId,
      error === 'platform_unreachable'
        ? `${def.name} could not be reached to complete the authorization (${message}); start the connection again.`
        : `${def.name} refused the code exchange: ${message}`,
    );
    return { kind: 'error', connectionId, error, description: message, returnUrl: pending.returnUrl };
  }

  const ref = tokenRef(tenantId, connectionId);
  const version = await ours(false, () => secretStore().put(ref, toBundle(tokens)));
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
    // The connection vanished meanwhile: its new tokens must not outlive it. Any other failure leaves the
    // record as it was, on its own (still readable) version; the stray new version goes with the sweep.
    if (err instanceof DomainError && err.kind === 'not_found') {
      await secretStore()
        .delete(ref)
        .catch(() => undefined);
      throw invalidState();
    }
    throw err instanceof DomainError ? err : new CallbackUnavailableError(err, false);
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
