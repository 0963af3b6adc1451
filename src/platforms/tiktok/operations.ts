// TikTok's operations (Login Kit v2, organic): the connected user (one token = one user), the user's videos
// paged by TikTok's numeric cursor, and publishing a video TikTok pulls from a URL.
import { ApiError, badRequest } from '../../http/errors';
import { field } from '../../platformHttp/client';
import { Account, FamilyOperations, OperationCall, QueryPage } from '../operations';
import { flattenRow } from '../rows';

const DEFAULT_FIELDS = [
  'id',
  'create_time',
  'title',
  'duration',
  'share_url',
  'view_count',
  'like_count',
  'comment_count',
  'share_count',
];
const CURSOR = /^[0-9]{1,20}$/;

const api = (call: OperationCall) => call.definition.endpoints.api;

async function accounts(call: OperationCall): Promise<Account[]> {
  const res = await call.api({
    method: 'GET',
    url: `${api(call)}/user/info/`,
    query: { fields: 'open_id,union_id,avatar_url,display_name' },
  });
  const openId = field(res.body, 'data', 'user', 'open_id');
  if (typeof openId !== 'string' || !openId) {
    throw new ApiError(502, 'TikTok answered /v2/user/info/ without an open_id.', { code: 'platform_error' });
  }
  const name = field(res.body, 'data', 'user', 'display_name');
  return [
    {
      id: openId,
      name: typeof name === 'string' && name ? name : openId,
      kind: 'user',
      union_id: field(res.body, 'data', 'user', 'union_id'),
      avatar_url: field(res.body, 'data', 'user', 'avatar_url'),
    },
  ];
}

async function videos(call: OperationCall, q: Record<string, unknown>, cursor?: string): Promise<QueryPage> {
  if (cursor !== undefined && !CURSOR.test(cursor)) {
    throw badRequest("The session's cursor is not a TikTok cursor; run the query again.");
  }
  const fields = new Set(['id', ...((q.fields as string[] | undefined) ?? DEFAULT_FIELDS)]);
  const res = await call.api(
    {
      method: 'POST',
      url: `${api(call)}/video/list/`,
      query: { fields: [...fields].join(',') },
      json: {
        max_count: (q.max_count as number | undefined) ?? 20,
        ...(cursor !== undefined ? { cursor: Number(cursor) } : {}),
      },
    },
    // A read, though TikTok makes it a POST: safe to retry.
    { idempotent: true },
  );
  const list = field(res.body, 'data', 'videos');
  const rows = Array.isArray(list) ? list.map((v) => flattenRow(v as Record<string, unknown>)) : [];
  const next = field(res.body, 'data', 'cursor');
  const more = field(res.body, 'data', 'has_more') === true && rows.length > 0;
  // The cursor is a millisecond timestamp: kept as a string in the session, sent back as a number.
  return {
    rows,
    cursor: more && typeof next === 'number' && Number.isSafeInteger(next) ? String(next) : undefined,
  };
}

async function query(call: OperationCall, q: Record<string, unknown>, cursor?: string): Promise<QueryPage> {
  const resource = (q.resource as string | undefined) ?? 'videos';
  if (resource === 'videos') return videos(call, q, cursor);
  throw badRequest(`Unknown resource ${resource}.`);
}

async function publishVideo(call: OperationCall, p: Record<string, unknown>) {
  // Not idempotent: a retried init could post the video twice.
  const res = await call.api({
    method: 'POST',
    url: `${api(call)}/post/publish/video/init/`,
    json: {
      post_info: { title: p.title, privacy_level: p.privacy_level },
      source_info: { source: 'PULL_FROM_URL', video_url: p.video_url },
    },
  });
  return { publish_id: field(res.body, 'data', 'publish_id') };
}

async function execute(call: OperationCall, operation: string, p: Record<string, unknown>): Promise<unknown> {
  if (operation === 'publish_video') return publishVideo(call, p);
  throw badRequest(`Unknown operation ${operation}.`);
}

export const tiktokOperations: FamilyOperations = { accounts, query, execute };
