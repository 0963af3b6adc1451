import { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';

/** The caller, as the validated token says (src/auth fills it in). The tenant is the token's `tid`. */
export interface Principal {
  tenantId: string;
  objectId?: string;
  appId?: string;
  scopes: string[];
  roles: string[];
}

/** What a handler receives: the Functions request plus what the conventions worked out for it. */
export interface RequestContext {
  request: HttpRequest;
  invocation: InvocationContext;
  requestId: string;
  params: Record<string, string>;
  query: URLSearchParams;
  /** The authenticated caller; absent only on anonymous routes. */
  principal?: Principal;
  /** The parsed JSON body, read once by `jsonBody()`. */
  body?: { value: unknown };
}

export type Handler = (ctx: RequestContext) => Promise<HttpResponseInit>;

export type Middleware = (
  ctx: RequestContext,
  next: () => Promise<HttpResponseInit>,
) => Promise<HttpResponseInit>;

/** The caller of an authenticated route; a route marked anonymous has none and must not ask. */
export function principalOf(ctx: RequestContext): Principal {
  if (!ctx.principal) throw new Error('principalOf() called on an anonymous route');
  return ctx.principal;
}
