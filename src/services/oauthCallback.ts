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
import { redact } from '../shared/redact';
import { ConnectorDefinition } from '../catalog/types';
import { AppCredentials } from '../oauth/engine';

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

type Log = (message: string) => void;

/**
 * A clean-up whose failure changes nothing for the person at the callback: it is logged (redacted: a storage
 * or platform error may quote a credential) and never thrown.
 */
async function bestEffort(what: string, log: Log, work: () => Promise<unknown>): Promise<void> {
  try {
    await work();
  } catch (err) {
    log(redact(`oauth callback: ${what} failed: ${describe(err)}`));
  }
}

const describe = (err: unknown) => (err instanceof Error ? `${err.name}: ${err.message}` : String(err));

/** Takes the state exactly once: a conditional delete by ETag, so two concurrent callbacks cannot both win. */
async function consumeState(stored: Stored<OAuthStateRecord>, log: Log): Promise<void> {
  const { key, tenantId, verifierVersion } = stored.value;
  try {
    if (!(await oauthStates.delete(statePartition(key), key, stored.etag))) throw invalidState();
  } catch (err) {
    if (err instanceof EtagMismatchError) throw invalidState();
    throw err;
  }
  if (verifierVersion) {
    // Spent with the state; a verifier left behind is never read again and the sweep's repair removes it.
    await bestEffort('deleting the PKCE verifier', log, () =>
      secretStore().delete(verifierRef(tenantId, key)),
    );
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

/** The pending authorization the callback's state names, and its connection (still there). */
async function pendingAuthorization(query: URLSearchParams) {
  const state = query.get('state');
  if (!state) throw invalid('The callback has no state.', { code: 'invalid_state' });
  const pendingState = await ours(true, () => readState(state));
  const { tenantId, connectionId } = pendingState.value;
  const stored = await ours(true, () => findConnection(tenantId, connectionId));
  if (!stored) throw invalidState(); // deleted while the user was at the platform (the sweep removes the state)
  return { pendingState, pending: pendingState.value, connection: stored.value };
}

/** The platform sent the user back with an error instead of a code: the state is spent, the refusal recorded. */
async function recordRefusal(
  pendingState: Stored<OAuthStateRecord>,
  platformError: string,
  query: URLSearchParams,
  log: Log,
): Promise<CallbackOutcome> {
  const { tenantId, connectionId, returnUrl } = pendingState.value;
  await ours(true, () => consumeState(pendingState, log));
  const code = ERROR_CODE.test(platformError) ? platformError : 'authorization_failed';
  const description = (query.get('error_description') ?? query.get('error_reason') ?? code).slice(0, 300);
  await markFailed(
    tenantId,
    connectionId,
    `The platform refused the authorization: ${code} (${description}).`,
    log,
  );
  return { kind: 'error', connectionId, error: code, description, returnUrl };
}

/**
 * Everything the exchange needs, before the one-time state is spent: the PKCE verifier, the app credentials,
 * and a secret store that answers (the tokens go there). A failure of ours leaves the link usable. App
 * credentials that cannot be used (the configuration gone, inactive, without a secret) come back as the error.
 */
async function prepareExchange(
  pending: OAuthStateRecord,
  record: ConnectionRecord,
  def: ConnectorDefinition,
) {
  const { tenantId } = pending;
  const [verifier, resolved] = await ours(true, () =>
    Promise.all([
      pending.verifierVersion
        ? secretStore().get(verifierRef(tenantId, pending.key), pending.verifierVersion)
        : undefined,
      resolveApp(tenantId, def, record.configId).catch((err: unknown) => {
        if (err instanceof DomainError && ['invalid', 'not_found', 'conflict'].includes(err.kind)) return err;
        throw err;
      }),
      secretStore().ping(),
    ]),
  );
  return { verifier, resolved };
}

interface Grant {
  tokens: TokenSet;
  account?: { id: string; name?: string };
  reconnectBy?: string;
}

/** The code exchanged for tokens, then what the platform says of the grant and of the account. */
async function exchangeForGrant(
  def: ConnectorDefinition,
  app: AppCredentials,
  config: Record<string, string>,
  exchange: { code: string; redirectUri: string; codeVerifier?: string },
  log: Log,
): Promise<Grant> {
  let tokens = await exchangeCode(def, app, exchange);
  // Meta's code gives a short-lived token; the long-lived one lasts about 60 days. Should the exchange fail,
  // the short-lived token still works, and renewal tries again before it lapses.
  if (def.oauth.refresh === 'exchange') {
    const shortLived = tokens;
    tokens = await renewTokens(def, app, tokens).catch((err: unknown) => {
      log(redact(`oauth callback: long-lived token exchange failed: ${describe(err)}`));
      return shortLived;
    });
  }
  const context = { definition: def, config };
  const reconnectBy = await reconnectByOf(def, app, context, tokens);
  const account = await identityOf(families[def.family], context, tokens.access_token).catch(
    (err: unknown) => {
      // The connection works without its account's name; the next test call reads it again.
      log(redact(`oauth callback: identity call after authorization failed: ${describe(err)}`));
      return undefined;
    },
  );
  return { tokens, account, reconnectBy };
}

/** Why the exchange failed, as the person and last_error are told. */
function exchangeFailure(def: ConnectorDefinition, err: unknown) {
  const message =
    err instanceof PlatformApiError
      ? err.failure.message
      : err instanceof Error
        ? err.message
        : 'unknown error';
  // Unreachable is not a refusal: the platform never said no.
  const error = err instanceof PlatformUnreachableError ? 'platform_unreachable' : 'token_exchange_failed';
  const lastError =
    error === 'platform_unreachable'
      ? `${def.name} could not be reached to complete the authorization (${message}); start the connection again.`
      : `${def.name} refused the code exchange: ${message}`;
  return { error, message, lastError };
}

/** The tokens kept in the secret store, then the connection made active with them. */
async function saveGrant(tenantId: string, connectionId: string, grant: Grant, log: Log) {
  const { tokens, account, reconnectBy } = grant;
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
      await bestEffort(
        "deleting the tokens of a connection deleted meanwhile (the sweep's repair will)",
        log,
        () => secretStore().delete(ref),
      );
      throw invalidState();
    }
    throw err instanceof DomainError ? err : new CallbackUnavailableError(err, false);
  }
  // Older versions are only clutter: the record names the new one.
  await bestEffort('pruning older token versions', log, () => secretStore().prune(ref, version));
  return updated.value;
}

/**
 * Completes an authorization at the callback: the pending state and its connection; the platform's refusal,
 * if it sent one; what the exchange needs; the state spent (once); the code exchanged for the grant; the
 * grant saved. A step that fails for the platform's reasons is recorded on the connection and answered as an
 * error page; one that fails for ours answers 503 (CallbackUnavailableError).
 */
export async function completeAuthorization(query: URLSearchParams, log: Log): Promise<CallbackOutcome> {
  const { pendingState, pending, connection } = await pendingAuthorization(query);
  const { tenantId, connectionId, returnUrl } = pending;

  const platformError = query.get('error') ?? query.get('error_code');
  if (platformError) return recordRefusal(pendingState, platformError, query, log);
  const code = query.get('code') ?? query.get('auth_code');
  if (!code) throw invalid('The callback has neither a code nor an error.', { code: 'invalid_callback' });

  const def = definitionOf(connection.connectorType);
  const { verifier, resolved } = await prepareExchange(pending, connection, def);
  await ours(true, () => consumeState(pendingState, log));
  if (resolved instanceof DomainError) {
    await markFailed(tenantId, connectionId, `The app credentials cannot be used: ${resolved.message}`, log);
    return {
      kind: 'error',
      connectionId,
      error: 'app_credentials_unusable',
      description: resolved.message,
      returnUrl,
    };
  }

  let grant: Grant;
  try {
    grant = await exchangeForGrant(
      def,
      resolved.app,
      resolved.config,
      { code, redirectUri: pending.redirectUri, codeVerifier: verifier?.code_verifier },
      log,
    );
  } catch (err) {
    const failed = exchangeFailure(def, err);
    await markFailed(tenantId, connectionId, failed.lastError, log);
    return { kind: 'error', connectionId, error: failed.error, description: failed.message, returnUrl };
  }
  return { kind: 'active', connection: await saveGrant(tenantId, connectionId, grant, log), returnUrl };
}

/** A failed first attempt makes the connection 'error'; a failed reconnect leaves a working one as it is. */
async function markFailed(tenantId: string, connectionId: string, message: string, log: Log) {
  await bestEffort(`recording the failure on connection ${connectionId}`, log, () =>
    updateConnection(tenantId, connectionId, (c) => ({
      ...c,
      status: c.status === 'pending' ? 'error' : c.status,
      lastError: message,
    })),
  );
}
