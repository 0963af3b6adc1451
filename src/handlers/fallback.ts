// Answers requests no declared function takes: 405 with Allow when the path exists under another method,
// else 404. Under the Functions host it is a catch-all route of lowest precedence; the local host's router
// answers the same way itself.
import { RequestContext } from '../http/context';
import { ApiError } from '../http/errors';
import { Router, RoutableEntry } from '../routing/router';

export function unmatchedResponse(
  match: { kind: 'method_not_allowed'; allowed: string[] } | { kind: 'not_found' },
): ApiError {
  if (match.kind === 'method_not_allowed') {
    return new ApiError(405, `Method not allowed; this route accepts ${match.allowed.join(', ')}.`, {
      code: 'method_not_allowed',
      headers: { Allow: match.allowed.join(', ') },
    });
  }
  return new ApiError(404, 'No such route.', { code: 'not_found' });
}

export function fallbackHandler(routes: () => readonly RoutableEntry[]) {
  let router: Router<RoutableEntry> | undefined;
  return async (ctx: RequestContext) => {
    router ??= new Router(routes());
    const match = router.match(ctx.request.method, ctx.params.path ?? '');
    throw unmatchedResponse(match.kind === 'found' ? { kind: 'not_found' } : match);
  };
}
