import { checkedBody } from '../http/body';
import { principalOf, RequestContext } from '../http/context';
import { success } from '../http/envelope';
import {
  execute,
  listAccounts,
  message,
  OperationScope,
  query,
  selectAccount,
  state,
} from '../services/operations';
import { AccountInput, ExecuteInput, MessageInput, QueryInput } from '../openapi/operations';
import { SessionRecord } from '../stores/sessionStore';
import { reachingCaller } from '../services/platformErrors';

/** The session a request names: X-Session-Id, else session_id in the body, else in the query string. */
function scopeOf(ctx: RequestContext, fromBody?: string): OperationScope {
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
    throw reachingCaller(err);
  }
  return success(ctx.requestId, result.data, {
    status: result.status,
    metadata: { session_id: result.session.id },
    headers: { 'X-Session-Id': result.session.id },
  });
}

/** A POST body (checked against the route's contract) without session_id: it names the session, not the work. */
async function postBody<T extends object>(ctx: RequestContext): Promise<{ scope: OperationScope; body: T }> {
  const body = await checkedBody<T & { session_id?: string }>(ctx);
  return { scope: scopeOf(ctx, body.session_id), body };
}

export async function operationMetadata(ctx: RequestContext) {
  return reply(ctx, listAccounts(scopeOf(ctx)));
}

export async function operationState(ctx: RequestContext) {
  return reply(ctx, state(scopeOf(ctx)));
}

export async function operationAccount(ctx: RequestContext) {
  const { scope, body } = await postBody<AccountInput>(ctx);
  return reply(ctx, selectAccount(scope, body));
}

export async function operationQuery(ctx: RequestContext) {
  const { scope, body } = await postBody<QueryInput>(ctx);
  return reply(ctx, query(scope, body));
}

export async function operationExecute(ctx: RequestContext) {
  const { scope, body } = await postBody<ExecuteInput>(ctx);
  return reply(ctx, execute(scope, body));
}

export async function operationMessage(ctx: RequestContext) {
  const { scope, body } = await postBody<MessageInput>(ctx);
  return reply(ctx, message(scope, body));
}
