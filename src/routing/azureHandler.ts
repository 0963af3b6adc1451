import { HttpHandler } from '@azure/functions';
import { authenticate } from '../auth/authenticate';
import { httpHandler } from '../http/pipeline';
import { HttpFunctionDeclaration } from './declarations';

const built = new WeakMap<HttpFunctionDeclaration, HttpHandler>();

/** The Functions handler of a declaration: conventions, auth unless the route is anonymous, the handler. */
export function azureHandlerOf(fn: HttpFunctionDeclaration): HttpHandler {
  let handler = built.get(fn);
  if (!handler) {
    handler = httpHandler(fn.name, fn.anonymous ? [] : [authenticate], fn.handler);
    built.set(fn, handler);
  }
  return handler;
}
