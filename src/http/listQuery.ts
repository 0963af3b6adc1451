import { RequestContext } from './context';
import { success } from './envelope';

/** The list filters of a GET: type, status, limit, continuation_token. */
export function listQuery(ctx: RequestContext) {
  const get = (name: string) => ctx.query.get(name) ?? undefined;
  return {
    type: get('type'),
    status: get('status'),
    limit: get('limit'),
    continuationToken: get('continuation_token'),
    reconnectBefore: get('reconnect_before'),
  };
}

/**
 * A page of records, with the token of the next page (null on the last) in metadata, and the ids of the
 * records of the page that could not be read (`unreadable`, usually empty): one bad record never fails a list.
 */
export function pageResponse(
  ctx: RequestContext,
  page: { views: unknown[]; unreadable?: string[]; continuationToken?: string },
) {
  return success(ctx.requestId, page.views, {
    metadata: {
      count: page.views.length,
      continuation_token: page.continuationToken ?? null,
      unreadable: (page.unreadable ?? []).map((id) => ({
        id,
        code: 'record_unreadable',
        error: 'This record could not be read; it was left as it is. Report its id to the operators.',
      })),
    },
  });
}
