import { jsonBody, jsonObject } from '../http/body';
import { principalOf, RequestContext } from '../http/context';
import { success } from '../http/envelope';
import { badRequest } from '../http/errors';
import {
  execute,
  listAccounts,
  message,
  OperationScope,
  query,
  selectAccount,
  state,
} from '../services/operations';
import { SessionRecord } from '../stores/sessionStore';
import { PlatformApiError } from '../platforms/api';
import { PlatformUnreachableError } from '../platformHttp/client';
import { platformFailure } from '../services/platformErrors';

/** The session a request names: X-Session-Id, else session_id in the body, else in the query string. */
function scopeOf(ctx: RequestContext, body?: Record<string, unknown>): OperationScope {
  const fromBody = body?.session_id;
  if (fromBody !== undefined && typeof fromBody !== 'string')
    throw badRequest('session_id must be a string.');
  const sessionId =
    ctx.request.headers.get('x-session-id') ?? fromBody ?? ctx.query.get('session_id') ?? undefined;
  return {
    tenantId: principalOf(ctx).tenantId,
    connectionId: ctx.params.connection_id,
    sessionId: sessionId || undefined,
  };
}

type Outcome = { session: SessionRecord; data: unknown; status?: number };

/** Answers with metadata.session_id; platform failures become the contract's 429/502/… */
async function reply(ctx: RequestContext, work: Promise<Outcome>) {
  let result: Outcome;
  try {
    result = await work;
  } catch (err) {
    if (err instanceof PlatformApiError || err instanceof PlatformUnreachableError)
      throw platformFailure(err);
    throw err;
  }
  return success(ctx.requestId, result.data, {
    status: result.status,
    metadata: { session_id: result.session.id },
    headers: { 'X-Session-Id': result.session.id },
  });
}

/** A POST body without session_id (it names the session, not the operation). */
async function postBody(
  ctx: RequestContext,
): Promise<{ scope: OperationScope; body: Record<string, unknown> }> {
  const raw = (await jsonBody(ctx)) === undefined ? {} : await jsonObject(ctx);
  const scope = scopeOf(ctx, raw);
  const { session_id: _named, ...body } = raw;
  return { scope, body };
}

export async function operationMetadata(ctx: RequestContext) {
  return reply(ctx, listAccounts(scopeOf(ctx)));
}

export async function operationState(ctx: RequestContext) {
  return reply(ctx, state(scopeOf(ctx)));
}

export async function operationAccount(ctx: RequestContext) {
  const { scope, body } = await postBody(ctx);
  return reply(ctx, selectAccount(scope, body));
}

export async function operationQuery(ctx: RequestContext) {
  const { scope, body } = await postBody(ctx);
  return reply(ctx, query(scope, body));
}

export async function operationExecute(ctx: RequestContext) {
  const { scope, body } = await postBody(ctx);
  return reply(ctx, execute(scope, body));
}

export async function operationMessage(ctx: RequestContext) {
  const { scope, body } = await postBody(ctx);
  return reply(ctx, message(scope, body));
}
