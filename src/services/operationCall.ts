// How operations reach a platform: with the connection's fresh token, one renewal and retry when the
// platform says the token is dead, retries with backoff and jitter for idempotent calls on 5xx and network
// errors, and a short wait-and-retry when a rate limit lifts within a couple of seconds.
import { ApiFailure, callApi, PlatformApiError } from '../platforms/api';
import { callTimeoutMs, PlatformUnreachableError } from '../platformHttp/client';
import { OperationCall } from '../platforms/operations';
import { families } from '../platforms/registry/families';
import { spendCallBudget } from './callBudgets';
import { updateConnection } from './connectionRecords';
import { lapsedStatus } from './platformErrors';
import { freshToken, FreshToken } from './tokenLifecycle';
import { ConnectionRecord } from '../stores/connectionStore';
import { Stored } from '../stores/recordTable';
import { DomainError } from '../shared/errors';

const RETRIES = 2;
const BASE_DELAY_MS = 150;
const SHORT_RATE_LIMIT_S = 2;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const backoff = (attempt: number) => BASE_DELAY_MS * 2 ** attempt * (0.5 + Math.random());

const timedOut = (err: unknown) => err instanceof PlatformUnreachableError && err.reason === 'timeout';

function transient(err: unknown): boolean {
  if (err instanceof PlatformUnreachableError) return true;
  return err instanceof PlatformApiError && err.failure.kind === 'platform' && err.platformStatus >= 500;
}

function rateLimit(err: unknown): ApiFailure | undefined {
  return err instanceof PlatformApiError && err.failure.kind === 'rate_limited' ? err.failure : undefined;
}

export async function operationCall(
  tenantId: string,
  connection: Stored<ConnectionRecord>,
  accountId?: string,
): Promise<OperationCall> {
  const connectionId = connection.value.id;
  let fresh: FreshToken = await freshToken(tenantId, connectionId, { current: connection });
  const family = families[fresh.definition.family];
  const extras = { ...fresh.tokens } as Record<string, string | undefined>;
  delete extras.access_token;
  delete extras.refresh_token;
  return {
    connectionId,
    definition: fresh.definition,
    config: fresh.context.config,
    accountId,
    tokenExtras: extras,
    spend: (budget) => spendCallBudget(connectionId, budget),
    async api(req, options = {}) {
      const idempotent = req.method === 'GET' || options.idempotent === true;
      let renewed = false;
      for (let attempt = 0; ; attempt++) {
        try {
          return await callApi(family.api, fresh.context, options.token ?? fresh.tokens.access_token, {
            timeoutMs: callTimeoutMs(options.report),
            ...req,
          });
        } catch (err) {
          if (err instanceof PlatformApiError && err.failure.kind === 'token_invalid' && !options.token) {
            // The user took the app's access away: a renewal cannot bring it back, so none is tried.
            if (renewed || err.failure.revokedByUser) {
              await updateConnection(tenantId, connectionId, (c) => ({
                ...c,
                status: lapsedStatus(err.failure.revokedByUser),
                lastError: `${err.failure.message} Reconnect the account.`,
              }));
              throw new DomainError(
                'reconnect_required',
                `${err.failure.message} The connection needs to be reconnected.`,
              );
            }
            fresh = await freshToken(tenantId, connectionId, { replacing: fresh.tokens.access_token });
            renewed = true;
            continue;
          }
          const limited = rateLimit(err);
          if (limited && attempt === 0 && (limited.retryAfterSeconds ?? Infinity) <= SHORT_RATE_LIMIT_S) {
            await sleep((limited.retryAfterSeconds ?? 1) * 1000);
            continue;
          }
          // A report that timed out is heavy for the platform too: asking again at once only doubles the load.
          if (idempotent && transient(err) && attempt < RETRIES && !(options.report && timedOut(err))) {
            await sleep(backoff(attempt));
            continue;
          }
          throw err;
        }
      }
    },
  };
}
