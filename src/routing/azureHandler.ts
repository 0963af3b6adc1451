import { HttpHandler } from '@azure/functions';
import { authenticate } from '../auth/authenticate';
import { Middleware } from '../http/context';
import { httpHandler } from '../http/pipeline';
import { requestCheck } from '../http/requestContract';
import { HttpFunctionDeclaration } from './declarations';

const built = new WeakMap<HttpFunctionDeclaration, HttpHandler>();

/**
 * The Functions handler of a declaration: conventions, auth unless the route is anonymous, the request checked
 * against the route's contract (so a refused token learns nothing of the shapes), then the handler.
 */
export function azureHandlerOf(fn: HttpFunctionDeclaration): HttpHandler {
  let handler = built.get(fn);
  if (!handler) {
    const check = requestCheck(fn.contract);
    const middlewares: Middleware[] = [...(fn.anonymous ? [] : [authenticate]), ...(check ? [check] : [])];
    handler = httpHandler(fn.name, middlewares, fn.handler);
    built.set(fn, handler);
  }
  return handler;
}
