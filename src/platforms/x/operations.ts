// X's operations: the connected user (one token = one user), the user's posts with public metrics paged by
// X's next_token, and publishing a post.
import { field } from '../../platformHttp/client';
import { Account, FamilyOperations, OperationCall, QueryOf, QueryPage, typedOperations } from '../operations';
import { xOperationSchemas } from './schemas';
import { flattenRow } from '../rows';
import { DomainError, invalid, platformRefused } from '../../shared/errors';

const ALWAYS_FIELDS = ['public_metrics', 'created_at'];
const USER_ID = /^[0-9]{1,19}$/;

const api = (call: OperationCall) => call.definition.endpoints.api;

async function me(call: OperationCall): Promise<Account> {
  const res = await call.api({
    method: 'GET',
    url: `${api(call)}/users/me`,
    query: { 'user.fields': 'profile_image_url,public_metrics' },
  });
  const id = field(res.body, 'data', 'id');
  if (typeof id !== 'string' || !USER_ID.test(id)) {
    throw platformRefused('X answered /2/users/me without a user id.');
  }
  const username = field(res.body, 'data', 'username');
  return {
    id,
    name: String(field(res.body, 'data', 'name') ?? username ?? id),
    kind: 'user',
    username,
    profile_image_url: field(res.body, 'data', 'profile_image_url'),
    followers_count: field(res.body, 'data', 'public_metrics', 'followers_count'),
  };
}

async function accounts(call: OperationCall): Promise<Account[]> {
  return [await me(call)];
}

/**
 * X reports some failures as 200 with `errors[]` (RFC 7807 problems). Beside data they are partial (shown
 * as warnings, see partialErrors); without any data they are the answer.
 */
function failureWithoutData(body: unknown): DomainError | undefined {
  const errors = field(body, 'errors');
  if (field(body, 'data') !== undefined || field(body, 'meta') !== undefined) return undefined;
  if (!Array.isArray(errors) || errors.length === 0) return undefined;
  const first: unknown = errors[0];
  const detail = field(first, 'detail') ?? field(first, 'message') ?? field(first, 'title');
  const message = `X: ${typeof detail === 'string' ? detail : 'the request failed'}`;
  const type = field(first, 'type');
  if (typeof type === 'string' && type.endsWith('/resource-not-found')) {
    return new DomainError('platform_not_found', message);
  }
  return platformRefused(message);
}

/** X's partial errors beside data, as messages a person can read. */
function partialErrors(body: unknown): string[] {
  const errors = field(body, 'errors');
  if (!Array.isArray(errors)) return [];
  return errors.slice(0, 20).map((e) => {
    const detail = field(e, 'detail') ?? field(e, 'message') ?? field(e, 'title');
    return `X: ${typeof detail === 'string' ? detail.slice(0, 300) : 'a part of the answer failed'}`;
  });
}

type Query = QueryOf<typeof xOperationSchemas>;

async function tweets(call: OperationCall, q: Query, cursor?: string): Promise<QueryPage> {
  const userId = q.account_id ?? call.accountId ?? (await me(call)).id;
  if (!USER_ID.test(userId)) {
    throw invalid('The account is not an X user id; select the user from GET …/metadata.', {
      code: 'no_account',
    });
  }
  const fields = new Set([...ALWAYS_FIELDS, ...(q.tweet_fields ?? [])]);
  const res = await call.api({
    method: 'GET',
    url: `${api(call)}/users/${userId}/tweets`,
    query: {
      'tweet.fields': [...fields].join(','),
      max_results: q.max_results !== undefined ? String(q.max_results) : undefined,
      pagination_token: cursor,
    },
  });
  const failed = failureWithoutData(res.body);
  if (failed) throw failed;
  const data = field(res.body, 'data');
  const rows = Array.isArray(data) ? data.map((t) => flattenRow(t as Record<string, unknown>)) : [];
  const next = field(res.body, 'meta', 'next_token');
  return {
    rows,
    cursor: typeof next === 'string' && next ? next : undefined,
    warnings: partialErrors(res.body),
  };
}

async function query(call: OperationCall, q: Query, cursor?: string): Promise<QueryPage> {
  const resource = q.resource ?? 'tweets';
  if (resource === 'tweets') return tweets(call, q, cursor);
  throw invalid(`Unknown resource ${resource}.`);
}

export const xOperations: FamilyOperations = typedOperations(
  { twitter: xOperationSchemas },
  {
    accounts,
    query,
    execute: {
      create_post: async (call, p) => {
        // Not idempotent: a retried POST could publish twice, so only the framework's token renewal retries it.
        const res = await call.api({ method: 'POST', url: `${api(call)}/tweets`, json: { text: p.text } });
        return { id: field(res.body, 'data', 'id'), text: field(res.body, 'data', 'text') };
      },
    },
  },
);
