// LinkedIn's operations: the organizations the member administers and the ad accounts they can use;
// adAnalytics reporting in Rest.li 2.0 query syntax (one answer, no paging); posting as an organization.
import { PlatformApiError } from '../api';
import { field } from '../../platformHttp/client';
import { joinLists, walkPages, Walked } from '../listing';
import {
  Account,
  AccountLimit,
  AccountList,
  ExecutesOf,
  FamilyOperations,
  OperationCall,
  QueryOf,
  QueryPage,
  typedOperations,
} from '../operations';
import { flattenRow } from '../rows';
import { LINKEDIN_MAX_FIELDS, linkedinOperationSchemas } from './schemas';
import { invalid, platformRefused } from '../../shared/errors';

const PAGE_SIZE = 100;
const DIGITS = /^[0-9]{1,20}$/;
const ORGANIZATION_URN = /^urn:li:organization:([0-9]{1,20})$/;
const AD_ACCOUNT_URN = /^urn:li:sponsoredAccount:([0-9]{1,20})$/;
const DEFAULT_METRICS = ['impressions', 'clicks'];

type Schemas = typeof linkedinOperationSchemas;
type Query = QueryOf<Schemas>;

const api = (call: OperationCall) => call.definition.endpoints.api;

function elementsOf(body: unknown): Array<Record<string, unknown>> {
  const elements = field(body, 'elements');
  return Array.isArray(elements) ? (elements as Array<Record<string, unknown>>) : [];
}

/**
 * A Rest.li collection, page by page with start/count. LinkedIn's paging object does not always carry `total`
 * or a next link, so a full page means there may be more.
 */
function walkCollection(
  call: OperationCall,
  limit: AccountLimit,
  path: string,
  query: Record<string, string>,
  toAccount: (element: Record<string, unknown>) => Account | undefined,
): Promise<Walked<Account>> {
  return walkPages<Account>(
    limit,
    (a) => a.id,
    async (next) => {
      const start = Number(next ?? 0);
      const res = await call.api({
        method: 'GET',
        url: `${api(call)}${path}`,
        query: { ...query, start: String(start), count: String(PAGE_SIZE) },
      });
      const elements = elementsOf(res.body);
      const total = field(res.body, 'paging', 'total');
      const more = typeof total === 'number' ? start + elements.length < total : elements.length >= PAGE_SIZE;
      const items = elements.map(toAccount).filter((a): a is Account => a !== undefined);
      return { items, next: more && elements.length > 0 ? String(start + elements.length) : undefined };
    },
  );
}

async function organizations(call: OperationCall, limit: AccountLimit): Promise<AccountList> {
  const walked = await walkCollection(
    call,
    limit,
    '/rest/organizationAcls',
    { q: 'roleAssignee', role: 'ADMINISTRATOR', state: 'APPROVED' },
    (acl) => {
      const m = ORGANIZATION_URN.exec(String(acl.organization ?? ''));
      // Names need the organizations API (another permission); the URN names it meanwhile.
      return m
        ? { id: m[1], name: `urn:li:organization:${m[1]}`, kind: 'organization', role: acl.role }
        : undefined;
    },
  );
  return { accounts: walked.items, truncated: walked.truncated };
}

async function adAccounts(call: OperationCall, limit: AccountLimit): Promise<AccountList> {
  const walked = await walkCollection(
    call,
    limit,
    '/rest/adAccountUsers',
    { q: 'authenticatedUser' },
    (user) => {
      const m = AD_ACCOUNT_URN.exec(String(user.account ?? ''));
      return m
        ? { id: m[1], name: `urn:li:sponsoredAccount:${m[1]}`, kind: 'ad_account', role: user.role }
        : undefined;
    },
  );
  return { accounts: walked.items, truncated: walked.truncated };
}

/**
 * Organizations and ad accounts come from two products (Community Management, Advertising) that an app
 * may not both have: one list refused for want of permission leaves the other.
 */
async function accounts(call: OperationCall, limit: AccountLimit = { cap: 5000 }): Promise<AccountList> {
  const lists = await Promise.allSettled([organizations(call, limit), adAccounts(call, limit)]);
  const refused = (r: PromiseSettledResult<AccountList>) =>
    r.status === 'rejected' && r.reason instanceof PlatformApiError && r.reason.failure.kind === 'forbidden';
  const failed = lists.find((r) => r.status === 'rejected' && !refused(r));
  if (failed?.status === 'rejected') throw failed.reason;
  if (lists.every(refused) && lists[0].status === 'rejected') throw lists[0].reason;
  return joinLists(lists.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : [])));
}

/** A YYYY-MM-DD calendar day as Rest.li's Date record, (year:2026,month:1,day:31). */
function restliDate(value: string, name: string): string {
  const [year, month, day] = value.split('-').map(Number);
  const d = new Date(Date.UTC(year, month - 1, day));
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) {
    throw invalid(`${name} is not a calendar day.`, { code: 'invalid_input' });
  }
  return `(year:${year},month:${month},day:${day})`;
}

const isoDate = (d: unknown): string | undefined => {
  const [y, m, day] = ['year', 'month', 'day'].map((k) => field(d, k));
  if (typeof y !== 'number' || typeof m !== 'number' || typeof day !== 'number') return undefined;
  return `${y}-${String(m).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
};

/** A report row: dateRange's Date records become YYYY-MM-DD, the rest is flattened. */
function row(element: Record<string, unknown>): Record<string, unknown> {
  const range = element.dateRange;
  const out = { ...element };
  if (range !== undefined) {
    out.dateRange = { start: isoDate(field(range, 'start')), end: isoDate(field(range, 'end')) };
  }
  return flattenRow(out);
}

async function adAnalytics(call: OperationCall, q: Query): Promise<QueryPage> {
  const account = q.account_id ?? call.accountId;
  if (!account || !DIGITS.test(account)) {
    throw invalid('Name an ad account: query.account_id, or select one with POST …/account.', {
      code: 'no_account',
    });
  }
  const start = q.start_date;
  const end = q.end_date;
  const range = `(start:${restliDate(start, 'start_date')},end:${restliDate(end, 'end_date')})`;
  if (end < start) throw invalid('end_date is before start_date.', { code: 'invalid_input' });
  const fields = [...(q.fields ?? DEFAULT_METRICS)];
  for (const extra of ['dateRange', 'pivotValues']) {
    if (!fields.includes(extra) && fields.length < LINKEDIN_MAX_FIELDS) fields.push(extra);
  }
  // Rest.li reads ( ) , : as structure only when bare, so the query string is built by hand: URNs inside
  // List(...) are percent-encoded, the structure is not. Every value here is an enum, digits or a date.
  const search = [
    'q=analytics',
    `pivot=${q.pivot}`,
    `timeGranularity=${q.time_granularity}`,
    `dateRange=${range}`,
    `accounts=List(${encodeURIComponent(`urn:li:sponsoredAccount:${account}`)})`,
    `fields=${fields.join(',')}`,
  ].join('&');
  const res = await call.api(
    { method: 'GET', url: `${api(call)}/rest/adAnalytics?${search}` },
    { report: true },
  );
  return { rows: elementsOf(res.body).map(row) };
}

async function query(call: OperationCall, q: Query): Promise<QueryPage> {
  const resource = q.resource ?? 'ad_analytics';
  if (resource === 'ad_analytics') return adAnalytics(call, q);
  throw invalid(`Unknown resource ${resource}.`);
}

const LITTLE_RESERVED = /[\\|{}@[\]()<>#*_~]/g;
const URL_SPAN = /https?:\/\/\S+/g;

/**
 * LinkedIn reads commentary as "little" text, where \ | { } @ [ ] ( ) < > # * _ ~ are markup: left bare,
 * LinkedIn answers 201 and cuts the post at the first one. They are escaped so the text shows as written;
 * URLs are left whole so that they still link.
 */
export function escapeLittle(text: string): string {
  const escape = (s: string) => s.replace(LITTLE_RESERVED, (c) => `\\${c}`);
  let out = '';
  let last = 0;
  for (const m of text.matchAll(URL_SPAN)) {
    out += escape(text.slice(last, m.index)) + m[0];
    last = m.index + m[0].length;
  }
  return out + escape(text.slice(last));
}

const createPost: ExecutesOf<Schemas>['create_post'] = async (call, p) => {
  const organization = p.organization_id;
  const author = `urn:li:organization:${organization}`;
  const res = await call.api({
    method: 'POST',
    url: `${api(call)}/rest/posts`,
    json: {
      author,
      commentary: escapeLittle(p.text),
      visibility: p.visibility ?? 'PUBLIC',
      distribution: { feedDistribution: 'MAIN_FEED', targetEntities: [], thirdPartyDistributionChannels: [] },
      lifecycleState: 'PUBLISHED',
      isReshareDisabledByAuthor: false,
    },
  });
  const id = res.headers['x-restli-id'] ?? res.headers['x-linkedin-id'];
  if (!id) {
    throw platformRefused('LinkedIn created the post but did not say its id (no x-restli-id).');
  }
  return { id, author };
};

export const linkedinOperations: FamilyOperations = typedOperations(
  { linkedin: linkedinOperationSchemas },
  {
    accounts,
    query,
    execute: { create_post: createPost },
  },
);
