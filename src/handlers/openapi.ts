import { RequestContext } from '../http/context';
import { openApiDocument } from '../openapi/document';
import { HttpFunctionDeclaration } from '../routing/declarations';
import { settings } from '../settings';

export function openApiHandler(functions: () => readonly HttpFunctionDeclaration[]) {
  let document: Record<string, unknown> | undefined;
  return async (ctx: RequestContext) => {
    document ??= openApiDocument(functions(), settings().publicBaseUrl);
    return { status: 200, headers: { 'x-request-id': ctx.requestId }, jsonBody: document };
  };
}
