import { HttpResponseInit } from '@azure/functions';
import { checkedBody } from '../http/body';
import { ConnectionInput, ReconnectInput } from '../openapi/connections';
import { principalOf, RequestContext } from '../http/context';
import { success } from '../http/envelope';
import { listQuery, pageResponse } from '../http/listQuery';
import { conflict, knownError } from '../http/errors';
import { RefreshNotSupportedError } from '../oauth/errors';
import {
  createConnection,
  deleteConnection,
  getConnection,
  listConnections,
  reconnectConnection,
  refreshConnection,
  testConnection,
} from '../services/connections';
import { errorResponse } from '../http/pipeline';
import { CallbackOutcome, CallbackUnavailableError, completeAuthorization } from '../services/oauthCallback';

export async function createOAuthConnection(ctx: RequestContext) {
  const data = await createConnection(principalOf(ctx).tenantId, await checkedBody<ConnectionInput>(ctx));
  return success(ctx.requestId, data, {
    status: 201,
    headers: { Location: `/api/v1/connectors/oauth/${data.id}` },
  });
}

export async function listOAuthConnections(ctx: RequestContext) {
  return pageResponse(ctx, await listConnections(principalOf(ctx).tenantId, listQuery(ctx)));
}

export async function getOAuthConnection(ctx: RequestContext) {
  return success(ctx.requestId, await getConnection(principalOf(ctx).tenantId, ctx.params.connection_id));
}

export async function deleteOAuthConnection(ctx: RequestContext) {
  const data = await deleteConnection(principalOf(ctx).tenantId, ctx.params.connection_id, (m) =>
    ctx.invocation.warn(m),
  );
  return success(ctx.requestId, data);
}

export async function refreshOAuthConnection(ctx: RequestContext) {
  try {
    return success(
      ctx.requestId,
      await refreshConnection(principalOf(ctx).tenantId, ctx.params.connection_id),
    );
  } catch (err) {
    // Not a state to wait out: this connection type has no refresh at all.
    if (err instanceof RefreshNotSupportedError)
      throw conflict(err.message, { code: 'refresh_not_supported' });
    throw err;
  }
}

export async function testOAuthConnection(ctx: RequestContext) {
  return success(ctx.requestId, await testConnection(principalOf(ctx).tenantId, ctx.params.connection_id));
}

export async function reconnectOAuthConnection(ctx: RequestContext) {
  const data = await reconnectConnection(
    principalOf(ctx).tenantId,
    ctx.params.connection_id,
    await checkedBody<ReconnectInput>(ctx),
  );
  return success(ctx.requestId, data);
}

// The browser lands here: nothing cacheable, no referrer carrying the code onwards, no script on the page.
const BROWSER_HEADERS = {
  'Cache-Control': 'no-store',
  Pragma: 'no-cache',
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
};

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

function page(
  status: number,
  title: string,
  message: string,
  extraHeaders: Record<string, string> = {},
): HttpResponseInit {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p><p>You can close this window.</p></body></html>`;
  return {
    status,
    headers: {
      ...BROWSER_HEADERS,
      ...extraHeaders,
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy':
        "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    },
    body: html,
  };
}

function redirectTo(returnUrl: string, params: Record<string, string>): HttpResponseInit {
  const url = new URL(returnUrl);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return { status: 302, headers: { ...BROWSER_HEADERS, Location: url.toString() } };
}

function respond(outcome: CallbackOutcome): HttpResponseInit {
  if (outcome.kind === 'active') {
    const { connection } = outcome;
    return outcome.returnUrl
      ? redirectTo(outcome.returnUrl, { connection_id: connection.id, status: 'active' })
      : page(200, 'Connected', `The ${connection.connectorType} connection "${connection.name}" is active.`);
  }
  return outcome.returnUrl
    ? redirectTo(outcome.returnUrl, {
        connection_id: outcome.connectionId,
        status: 'error',
        error: outcome.error,
      })
    : page(200, 'Not connected', `The connection was not made: ${outcome.error} (${outcome.description}).`);
}

export async function oauthCallback(ctx: RequestContext): Promise<HttpResponseInit> {
  try {
    return respond(await completeAuthorization(ctx.query, (m) => ctx.invocation.warn(m)));
  } catch (err) {
    if (err instanceof CallbackUnavailableError) {
      // Logged as any dependency failure is; the person sees what to do next, never a platform to blame.
      const logged = errorResponse(ctx, err.cause);
      if (logged.status !== 503) return logged;
      const code = err.linkStillWorks ? 'dependency_unavailable' : 'connection_not_saved';
      const headers = { 'Retry-After': '60', 'x-request-id': ctx.requestId };
      return ctx.request.headers.get('accept')?.includes('text/html')
        ? page(503, 'Please try again', err.message, headers)
        : {
            status: 503,
            headers: { ...BROWSER_HEADERS, ...headers },
            jsonBody: { error: err.message, code, metadata: { request_id: ctx.requestId } },
          };
    }
    if (knownError(err)?.status === 400 && err instanceof Error) {
      const res = page(400, 'This link cannot be used', err.message);
      return ctx.request.headers.get('accept')?.includes('text/html')
        ? res
        : {
            status: 400,
            headers: { ...BROWSER_HEADERS, 'x-request-id': ctx.requestId },
            jsonBody: { error: err.message, code: 'invalid_state', metadata: { request_id: ctx.requestId } },
          };
    }
    throw err;
  }
}
