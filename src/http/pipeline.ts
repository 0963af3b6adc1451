// The HTTP conventions every function shares, in one place: request id, envelope for errors,
// one log line per request, and the generic 500 that never shows a stack trace.
import { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { Handler, Middleware, RequestContext } from './context';
import { failure } from './envelope';
import { ApiError } from './errors';
import { redact } from './redact';
import { requestIdOf } from './requestId';
import { SecretKeyMismatchError, SecretStoreUnavailableError } from '../secrets/secretStore';

export function compose(middlewares: readonly Middleware[], handler: Handler): Handler {
  return (ctx) => {
    const run = (i: number): Promise<HttpResponseInit> =>
      i < middlewares.length ? middlewares[i](ctx, () => run(i + 1)) : handler(ctx);
    return run(0);
  };
}

/** Turns whatever a handler threw into the contract's error envelope. */
export function errorResponse(ctx: RequestContext, err: unknown): HttpResponseInit {
  if (err instanceof ApiError) {
    return failure(
      ctx.requestId,
      err.status,
      { error: err.message, code: err.code, details: err.details },
      err.headers,
    );
  }
  if (err instanceof SecretStoreUnavailableError || err instanceof SecretKeyMismatchError) {
    ctx.invocation.warn(redact(`secret store failure: ${err.message}`));
    return failure(ctx.requestId, 503, { error: err.message, code: 'secret_store_unavailable' });
  }
  if (isDependencyFailure(err)) {
    ctx.invocation.warn(redact(`dependency failure: ${describe(err)}`));
    return failure(ctx.requestId, 503, {
      error: 'A dependency (storage or Key Vault) is unavailable; try again later.',
      code: 'dependency_unavailable',
    });
  }
  ctx.invocation.error(
    redact(`unexpected error: ${err instanceof Error ? (err.stack ?? describe(err)) : describe(err)}`),
  );
  return failure(ctx.requestId, 500, { error: 'An unexpected error occurred.', code: 'internal_error' });
}

/** @azure/identity's failures: no token for storage (managed identity endpoint down or refusing). */
const CREDENTIAL_ERRORS = new Set([
  'AggregateAuthenticationError',
  'AuthenticationError',
  'CredentialUnavailableError',
]);

/**
 * Azure SDK errors without an HTTP status (network) or with a 5xx, and failures to get a token for them,
 * come from a dependency, not the caller.
 */
function isDependencyFailure(err: unknown): boolean {
  if (err instanceof Error && CREDENTIAL_ERRORS.has(err.name)) return true;
  if (!(err instanceof Error) || err.name !== 'RestError') return false;
  const status = (err as { statusCode?: number }).statusCode;
  return status === undefined || status >= 500;
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/** Builds the Azure Functions handler of one declared function: conventions, then its middleware, then it. */
export function httpHandler(
  functionName: string,
  middlewares: readonly Middleware[],
  handler: Handler,
): (request: HttpRequest, invocation: InvocationContext) => Promise<HttpResponseInit> {
  const inner = compose(middlewares, handler);
  return async (request, invocation) => {
    const started = performance.now();
    const ctx: RequestContext = {
      request,
      invocation,
      requestId: requestIdOf(request.headers),
      params: request.params,
      query: request.query,
    };
    let response: HttpResponseInit;
    try {
      response = await inner(ctx);
    } catch (err) {
      response = errorResponse(ctx, err);
    }
    invocation.info(
      JSON.stringify({
        event: 'request',
        function: functionName,
        method: request.method,
        status: response.status ?? 200,
        duration_ms: Math.round((performance.now() - started) * 10) / 10,
        tenant: ctx.principal?.tenantId,
        request_id: ctx.requestId,
      }),
    );
    return response;
  };
}
