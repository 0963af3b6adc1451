// TikTok's operations (Login Kit v2, organic): the connected user (one token = one user), the user's videos
// paged by TikTok's numeric cursor, and Direct Post of a video TikTok pulls from a URL, followed by its status.
import { PlatformApiError } from '../api';
import { field } from '../../platformHttp/client';
import {
  Account,
  CallBudget,
  ExecutesOf,
  FamilyOperations,
  OperationCall,
  QueryOf,
  QueryPage,
  typedOperations,
} from '../operations';
import { tiktokOperationSchemas } from './schemas';

type Query = QueryOf<typeof tiktokOperationSchemas>;
type Executes = ExecutesOf<typeof tiktokOperationSchemas>;
import { flattenRow } from '../rows';
import { conflict, DomainError, invalid, platformRefused } from '../../shared/errors';

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
    throw platformRefused('TikTok answered /v2/user/info/ without an open_id.');
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

async function videos(call: OperationCall, q: Query, cursor?: string): Promise<QueryPage> {
  if (cursor !== undefined && !CURSOR.test(cursor)) {
    throw invalid("The session's cursor is not a TikTok cursor; run the query again.");
  }
  const fields = new Set<string>(['id', ...(q.fields ?? DEFAULT_FIELDS)]);
  const res = await call.api(
    {
      method: 'POST',
      url: `${api(call)}/video/list/`,
      query: { fields: [...fields].join(',') },
      json: {
        max_count: q.max_count ?? 20,
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

async function query(call: OperationCall, q: Query, cursor?: string): Promise<QueryPage> {
  const resource = q.resource ?? 'videos';
  if (resource === 'videos') return videos(call, q, cursor);
  throw invalid(`Unknown resource ${resource}.`);
}

/** TikTok's limit on Direct Post inits (content-posting-api-reference-direct-post), kept by the service. */
const INIT_BUDGET: CallBudget = {
  name: 'tiktok_publish_init',
  limit: 6,
  windowSeconds: 60,
  rule: 'TikTok takes 6 Direct Post inits a minute per user token',
};

/**
 * Client keys TikTok has said are unaudited, until when (epoch ms), in this process: a level other than SELF_ONLY
 * is then refused without spending one of the six inits. Forgotten after an hour, so an audit shows soon enough.
 */
const unaudited = new Map<string, number>();
const UNAUDITED_MEMORY_MS = 60 * 60 * 1000;

function unauditedError(): DomainError {
  return conflict(
    'TikTok has not audited this app for Direct Post yet: until it does, the app may post only with ' +
      'privacy_level SELF_ONLY, and only for creators whose accounts are set to private (at most 5 creators in ' +
      "24 h). Post SELF_ONLY from a private account, or have the app audited (TikTok's content sharing guidelines).",
    {
      code: 'tiktok_app_unaudited',
      details: { reason: 'unaudited_client_can_only_post_to_private_accounts', allowed: ['SELF_ONLY'] },
    },
  );
}

function knownUnaudited(clientKey: string | undefined): boolean {
  const until = clientKey === undefined ? undefined : unaudited.get(clientKey);
  if (until === undefined || !clientKey) return false;
  if (until > Date.now()) return true;
  unaudited.delete(clientKey);
  return false;
}

const isUnauditedRefusal = (err: unknown) =>
  err instanceof PlatformApiError &&
  err.failure.reason === 'unaudited_client_can_only_post_to_private_accounts';

/** The privacy levels creator info offers: TikTok requires the query before every post. */
async function creatorPrivacyLevels(call: OperationCall): Promise<string[]> {
  const res = await call.api(
    { method: 'POST', url: `${api(call)}/post/publish/creator_info/query/`, json: {} },
    { idempotent: true },
  );
  const options = field(res.body, 'data', 'privacy_level_options');
  return Array.isArray(options) ? options.filter((o): o is string => typeof o === 'string') : [];
}

/**
 * Direct Post as TikTok requires it: creator info first, the privacy level checked against the creator's
 * options, then the init (never retried: a retry could post twice) within the service-kept 6-a-minute budget.
 * Processing takes TikTok a while, so the answer is pending (202); publish_status follows it.
 */
const publishVideo: Executes['publish_video'] = async (call, p) => {
  const privacy = p.privacy_level;
  const clientKey = call.config.client_key;
  if (privacy !== 'SELF_ONLY' && knownUnaudited(clientKey)) throw unauditedError();
  const giveBack = await call.spend(INIT_BUDGET);
  let initSent = false;
  try {
    const allowed = await creatorPrivacyLevels(call);
    if (!allowed.includes(privacy)) {
      throw invalid(
        `TikTok does not offer privacy_level ${privacy} to this creator now; allowed: ${allowed.join(', ') || 'none'}.`,
        { code: 'privacy_level_not_allowed', details: { allowed } },
      );
    }
    initSent = true;
    const res = await call.api({
      method: 'POST',
      url: `${api(call)}/post/publish/video/init/`,
      json: {
        post_info: { title: p.title, privacy_level: privacy },
        source_info: { source: 'PULL_FROM_URL', video_url: p.video_url },
      },
    });
    const publishId = field(res.body, 'data', 'publish_id');
    if (typeof publishId !== 'string' || !publishId) {
      throw platformRefused('TikTok answered the post init without a publish_id.');
    }
    return {
      pending: true,
      data: { publish_id: publishId, status: 'in_progress' },
      resume: JSON.stringify({ p: publishId }),
    };
  } catch (err) {
    if (!initSent) await giveBack();
    if (isUnauditedRefusal(err)) {
      if (clientKey) unaudited.set(clientKey, Date.now() + UNAUDITED_MEMORY_MS);
      throw unauditedError();
    }
    throw err;
  }
};

/**
 * TikTok's post ids are int64 numbers beyond JavaScript's safe integers, so they are read from the answer's
 * text, digit for digit. (TikTok spells the field publicaly_available_post_id; the right spelling is read too.)
 */
function postIds(text: string): string[] {
  const list = /"public(?:a)?ly_available_post_id"\s*:\s*\[([^\]]*)\]/.exec(text)?.[1] ?? '';
  return list
    .split(',')
    .map((id) => id.trim().replace(/^"|"$/g, ''))
    .filter((id) => /^[0-9]{1,20}$/.test(id));
}

/** One status fetch of a post: done, failed, or still pending. */
async function checkPost(call: OperationCall, publishId: string): Promise<unknown> {
  const res = await call.api(
    { method: 'POST', url: `${api(call)}/post/publish/status/fetch/`, json: { publish_id: publishId } },
    { idempotent: true },
  );
  const status = field(res.body, 'data', 'status');
  if (status === 'PUBLISH_COMPLETE') {
    return { publish_id: publishId, status: 'published', status_code: status, post_ids: postIds(res.text) };
  }
  // An upload sent to the creator's inbox: finished on our side, the creator completes it in the app.
  if (status === 'SEND_TO_USER_INBOX')
    return { publish_id: publishId, status: 'sent_to_inbox', status_code: status };
  if (status === 'FAILED') {
    const reason = field(res.body, 'data', 'fail_reason');
    const why = typeof reason === 'string' && reason ? reason : 'unknown';
    throw platformRefused(`TikTok could not publish the video (publish ${publishId}: ${why}).`, {
      code: 'platform_publish_failed',
      details: { reason: why },
    });
  }
  return {
    pending: true,
    data: {
      publish_id: publishId,
      status: 'in_progress',
      status_code: typeof status === 'string' ? status : 'PROCESSING_DOWNLOAD',
    },
    resume: JSON.stringify({ p: publishId }),
  };
}

async function resume(call: OperationCall, operation: string, handle: string): Promise<unknown> {
  const publishId = field(JSON.parse(handle) as unknown, 'p');
  if (operation !== 'publish_video' || typeof publishId !== 'string') {
    throw invalid('Nothing of this connection can be checked for that operation.');
  }
  return checkPost(call, publishId);
}

export const tiktokOperations: FamilyOperations = typedOperations(
  { tiktok: tiktokOperationSchemas },
  { accounts, query, execute: { publish_video: publishVideo }, resume },
);
