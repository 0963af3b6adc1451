// The HTTP conventions every function shares, in one place: request id and trace context, envelope for
// errors, one log line per request, and the generic 500 that never shows a stack trace.
import { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { Handler, Middleware, RequestContext } from './context';
import { failure } from './envelope';
import { knownError } from './errors';
import { redact } from '../shared/redact';
import { requestIdOf } from './requestId';
import { refuseRepeatedValues } from './singleValues';
import { parseTraceparent, RequestTrace, runWithTrace } from '../shared/trace';
import { SecretKeyMismatchError, SecretStoreUnavailableError } from '../secrets/secretStore';
import { isDependencyFailure } from '../stores/failures';
import { InsertFailedError } from '../stores/recordTable';

export function compose(middlewares: readonly Middleware[], handler: Handler): Handler {
  return (ctx) => {
    const run = (i: number): Promise<HttpResponseInit> =>
      i < middlewares.length ? middlewares[i](ctx, () => run(i + 1)) : handler(ctx);
    return run(0);
  };
}

/** Turns whatever a handler threw into the contract's error envelope. */
export function errorResponse(ctx: RequestContext, err: unknown): HttpResponseInit {
  // What made an insert fail decides the answer; that it failed adds nothing a client can use.
  if (err instanceof InsertFailedError) return errorResponse(ctx, err.cause);
  const known = knownError(err);
  if (known) {
    return failure(
      ctx.requestId,
      known.status,
      { error: known.message, code: known.code, details: known.details },
      known.headers,
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

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

const redactAll = (args: unknown[]) => args.map((a) => redact(typeof a === 'string' ? a : String(a)));

/**
 * The invocation as handlers see it: the same context, but every message passes through `redact()` on its
 * way to the log, whatever a handler or a service hands it. A small delegate (one allocation per request;
 * making the real context a prototype of another object would cost far more).
 */
class RedactingInvocation implements InvocationContext {
  constructor(private readonly real: InvocationContext) {}
  get invocationId() {
    return this.real.invocationId;
  }
  get functionName() {
    return this.real.functionName;
  }
  get extraInputs() {
    return this.real.extraInputs;
  }
  get extraOutputs() {
    return this.real.extraOutputs;
  }
  get retryContext() {
    return this.real.retryContext;
  }
  get traceContext() {
    return this.real.traceContext;
  }
  get triggerMetadata() {
    return this.real.triggerMetadata;
  }
  get options() {
    return this.real.options;
  }
  log(...args: unknown[]): void {
    this.real.log(...redactAll(args));
  }
  trace(...args: unknown[]): void {
    this.real.trace(...redactAll(args));
  }
  debug(...args: unknown[]): void {
    this.real.debug(...redactAll(args));
  }
  info(...args: unknown[]): void {
    this.real.info(...redactAll(args));
  }
  warn(...args: unknown[]): void {
    this.real.warn(...redactAll(args));
  }
  error(...args: unknown[]): void {
    this.real.error(...redactAll(args));
  }
}

/**
 * The request's trace: the Functions host's trace context when it gives one (what Application Insights
 * correlates on), else the caller's `traceparent` header.
 */
function traceOf(request: HttpRequest, invocation: InvocationContext, requestId: string): RequestTrace {
  const parent =
    parseTraceparent(invocation.traceContext?.traceParent) ??
    parseTraceparent(request.headers.get('traceparent'));
  return { requestId, traceId: parent?.traceId, flags: parent?.flags ?? '00' };
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
    const requestId = requestIdOf(request.headers);
    const trace = traceOf(request, invocation, requestId);
    const ctx: RequestContext = {
      request,
      invocation: new RedactingInvocation(invocation),
      requestId,
      params: request.params,
      query: request.query,
    };
    const response = await runWithTrace(trace, async () => {
      try {
        refuseRepeatedValues(request);
        return await inner(ctx);
      } catch (err) {
        return errorResponse(ctx, err);
      }
    });
    // Every field is the app's own or checked input (the request id and trace id are validated), so the
    // line needs no redaction. tenant is null on anonymous routes and refused tokens; trace_id is null when
    // the request came with no trace and made no platform call.
    invocation.info(
      JSON.stringify({
        event: 'request',
        function: functionName,
        method: request.method,
        status: response.status ?? 200,
        duration_ms: Math.round((performance.now() - started) * 10) / 10,
        tenant: ctx.principal?.tenantId ?? null,
        request_id: requestId,
        trace_id: trace.traceId ?? null,
      }),
    );
    return response;
  };
}
