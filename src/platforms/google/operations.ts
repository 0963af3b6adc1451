// Google's operations. Google Ads: the customers the user reaches directly (listAccessibleCustomers) and the
// clients behind the managers among them (customer_client), GAQL reports through googleAds:search with
// pageToken paging, campaign status changes through campaigns:mutate; a call on a client reached through a
// manager carries login-customer-id = that manager. YouTube: the user's channel, Analytics v2 reports paged
// by startIndex, and video snippet updates that keep what the caller did not change.
import { PlatformApiError } from '../api';
import { field, PlatformResponse } from '../../platformHttp/client';
import { walkPages, Walked } from '../listing';
import { forgetLogin, learnedLogin, rememberLogins } from './logins';
import {
  Account,
  AccountLimit,
  AccountList,
  ExecutesOf,
  FamilyOperations,
  OperationCall,
  QueryFunction,
  typedOperations,
} from '../operations';
import { googleAdsOperationSchemas, youtubeOperationSchemas } from './schemas';
import { flattenRow } from '../rows';
import { DomainError, conflict, invalid } from '../../shared/errors';

const CUSTOMER = /^[0-9]{10}$/;
const CHANNEL = /^UC[A-Za-z0-9_-]{22}$/;
const SEARCH_PAGES = 50; // pages of a metadata search followed at most
const DESCRIBE_CONCURRENCY = 5;

const CUSTOMER_GAQL =
  'SELECT customer.id, customer.descriptive_name, customer.manager, customer.status FROM customer';
const CLIENTS_GAQL =
  'SELECT customer_client.id, customer_client.descriptive_name, customer_client.manager, customer_client.status FROM customer_client';

const api = (call: OperationCall) => call.definition.endpoints.api;

/** The platform refusing access to one customer (403: permission, not enabled, wrong login-customer-id). */
const refused = (err: unknown) =>
  err instanceof PlatformApiError && (err.failure.kind === 'forbidden' || err.failure.kind === 'not_found');

// ---- Google Ads ----------------------------------------------------------------------------------

export function search(
  call: OperationCall,
  customerId: string,
  login: string | undefined,
  body: Record<string, unknown>,
  options: { report?: boolean } = {},
): Promise<PlatformResponse> {
  return call.api(
    {
      method: 'POST',
      url: `${api(call)}/customers/${customerId}/googleAds:search`,
      // The page size is Google's to choose: sending pageSize is an error.
      json: body,
      headers: login ? { 'login-customer-id': login } : undefined,
    },
    // A search reads; retrying it is safe (but a report search that timed out is not asked again at once).
    { idempotent: true, report: options.report },
  );
}

/** Every row of a (small, metadata) search, following nextPageToken. */
async function searchAll(
  call: OperationCall,
  customerId: string,
  login: string | undefined,
  gaql: string,
): Promise<unknown[]> {
  const rows: unknown[] = [];
  let pageToken: string | undefined;
  for (let page = 0; page < SEARCH_PAGES; page++) {
    const res = await search(call, customerId, login, { query: gaql, pageToken });
    const results = field(res.body, 'results');
    if (Array.isArray(results)) rows.push(...(results as unknown[]));
    const next = field(res.body, 'nextPageToken');
    pageToken = typeof next === 'string' && next ? next : undefined;
    if (!pageToken) break;
  }
  return rows;
}

async function accessibleCustomers(call: OperationCall): Promise<string[]> {
  const res = await call.api({ method: 'GET', url: `${api(call)}/customers:listAccessibleCustomers` });
  const names = field(res.body, 'resourceNames');
  return (Array.isArray(names) ? names : [])
    .map((n) => /^customers\/([0-9]{10})$/.exec(String(n))?.[1])
    .filter((id): id is string => id !== undefined);
}

function customerAccount(
  raw: unknown,
  fallbackId: string,
  managerId?: string,
): Account & { manager: boolean; status: string } {
  const id = String(field(raw, 'id') ?? fallbackId);
  const status = String(field(raw, 'status') ?? 'UNKNOWN');
  return {
    id,
    name: String(field(raw, 'descriptiveName') ?? ''),
    kind: 'customer',
    manager: field(raw, 'manager') === true,
    status,
    active: status === 'ENABLED',
    ...(managerId ? { manager_id: managerId } : {}),
  };
}

/** A customer the user reaches directly, as its own `customer` row says. */
async function describeCustomer(call: OperationCall, id: string) {
  try {
    const [row] = await searchAll(call, id, undefined, CUSTOMER_GAQL);
    return customerAccount(field(row, 'customer'), id);
  } catch (err) {
    // A cancelled or suspended customer still appears in listAccessibleCustomers but refuses queries.
    if (!refused(err)) throw err;
    return { ...customerAccount(undefined, id), unavailable: (err as Error).message };
  }
}

async function inChunks<T, R>(items: T[], size: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size)
    out.push(...(await Promise.all(items.slice(i, i + size).map(fn))));
  return out;
}

/**
 * The customers this connection can act on: those the user reaches directly, then the clients of the
 * managers among them, each with manager_id (the login-customer-id its calls need). The configured
 * login_customer_id, when it is one of the managers, is asked first, so its clients are reached through it.
 */
async function adsAccounts(call: OperationCall, limit: AccountLimit = { cap: 5000 }): Promise<AccountList> {
  const direct = await accessibleCustomers(call);
  const out: Account[] = await inChunks(direct, DESCRIBE_CONCURRENCY, (id) => describeCustomer(call, id));
  const seen = new Set(out.map((a) => a.id));
  let truncated = false;
  const preferred = call.config.login_customer_id;
  const managers = out
    .filter((a) => a.manager === true && a.active === true)
    .sort((a, b) => Number(b.id === preferred) - Number(a.id === preferred));
  for (const manager of managers) {
    if (limit.find !== undefined && seen.has(limit.find)) break;
    let clients: Walked<unknown>;
    try {
      clients = await walkPages<unknown>(
        limit,
        (row) => String(field(row, 'customerClient', 'id') ?? ''),
        async (pageToken) => {
          const res = await search(call, manager.id, manager.id, { query: CLIENTS_GAQL, pageToken });
          const results = field(res.body, 'results');
          const next = field(res.body, 'nextPageToken');
          return {
            items: Array.isArray(results) ? (results as unknown[]) : [],
            next: typeof next === 'string' && next ? next : undefined,
          };
        },
      );
    } catch (err) {
      if (!refused(err)) throw err;
      continue;
    }
    truncated ||= clients.truncated;
    for (const row of clients.items) {
      const client = customerAccount(field(row, 'customerClient'), '', manager.id);
      if (!CUSTOMER.test(client.id) || seen.has(client.id)) continue;
      seen.add(client.id);
      out.push(client);
    }
  }
  return { accounts: out, truncated };
}

/**
 * Runs a call on a customer with a login-customer-id (what this connection learned for it, else the given
 * first guess). When Google refuses it, the customer's login is taken from what was learned or, failing that,
 * from one listing of the accounts (remembered for next time), and the call is retried once with it.
 */
export async function onCustomer<T>(
  call: OperationCall,
  customerId: string,
  guess: string | undefined,
  run: (login: string | undefined) => Promise<T>,
  options: { pinned?: boolean } = {},
): Promise<{ result: T; login: string | undefined }> {
  const learned = options.pinned ? undefined : learnedLogin(call.connectionId, customerId);
  const login = learned ? learned.login : guess;
  try {
    return { result: await run(login), login };
  } catch (err) {
    if (!refused(err)) throw err;
    // What was learned no longer works (the user's access changed): list again.
    if (learned) forgetLogin(call.connectionId, customerId);
    let account: Account | undefined;
    try {
      const listed = await adsAccounts(call, { cap: Number.MAX_SAFE_INTEGER, find: customerId });
      rememberLogins(call.connectionId, listed.accounts, false);
      account = listed.accounts.find((a) => a.id === customerId);
    } catch {
      throw err;
    }
    const manager = typeof account?.manager_id === 'string' ? account.manager_id : undefined;
    if (!account || manager === login) throw err;
    return { result: await run(manager), login: manager };
  }
}

export function customerOf(call: OperationCall, named: unknown): string {
  const id = typeof named === 'string' ? named : call.accountId;
  if (!id || !CUSTOMER.test(id)) {
    throw invalid('Name a customer: customer_id (10 digits), or select one with POST …/account.', {
      code: 'no_account',
    });
  }
  return id;
}

/** The first guess of a call's login-customer-id: the configured manager, if any. */
export function configuredLogin(call: OperationCall): string | undefined {
  const login = call.config.login_customer_id;
  return login && CUSTOMER.test(login) ? login : undefined;
}

/** The session keeps this (never shown): the customer, the login-customer-id that worked, Google's token. */
interface AdsCursor {
  c: string;
  l?: string;
  t: string;
}

function readAdsCursor(cursor: string): AdsCursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(cursor);
  } catch {
    parsed = undefined;
  }
  const c = field(parsed, 'c');
  const l = field(parsed, 'l');
  const t = field(parsed, 't');
  if (
    typeof c !== 'string' ||
    !CUSTOMER.test(c) ||
    (l !== undefined && (typeof l !== 'string' || !CUSTOMER.test(l))) ||
    typeof t !== 'string'
  ) {
    throw conflict('The session’s cursor is not usable; run the query again.', { code: 'stale_cursor' });
  }
  return { c, l: l as string | undefined, t };
}

type Schemas = { google_ads: typeof googleAdsOperationSchemas; youtube: typeof youtubeOperationSchemas };
type Executes = ExecutesOf<Schemas[keyof Schemas]>;

const gaqlQuery: QueryFunction<Schemas['google_ads']> = async (call, q, cursor) => {
  const gaql = q.gaql;
  // A next page goes to the customer and with the login of the first one, whatever the session says now.
  const from = cursor ? readAdsCursor(cursor) : undefined;
  const customerId = from?.c ?? customerOf(call, q.customer_id);
  const { result: res, login } = await onCustomer(
    call,
    customerId,
    from ? from.l : configuredLogin(call),
    // A GAQL query is a report: the reporting budget.
    (l) => search(call, customerId, l, { query: gaql, pageToken: from?.t }, { report: true }),
    // A next page keeps the login its first page worked with.
    { pinned: from !== undefined },
  );
  const results = field(res.body, 'results');
  const rows = Array.isArray(results)
    ? results.map((r) => gaqlKeys(flattenRow(r as Record<string, unknown>)))
    : [];
  const next = field(res.body, 'nextPageToken');
  const nextCursor: AdsCursor | undefined =
    typeof next === 'string' && next ? { c: customerId, ...(login ? { l: login } : {}), t: next } : undefined;
  return { rows, cursor: nextCursor ? JSON.stringify(nextCursor) : undefined };
};

/** The REST answer names fields in camelCase; rows use the GAQL names the query selected (metrics.cost_micros). */
export function gaqlKeys(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(row).map(([key, value]) => [key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), value]),
  );
}

const updateCampaignStatus: Executes['update_campaign_status'] = async (call, p) => {
  const customerId = customerOf(call, p.customer_id);
  const campaignId = p.campaign_id;
  const status = p.status;
  const { result: res } = await onCustomer(call, customerId, configuredLogin(call), (login) =>
    call.api(
      {
        method: 'POST',
        url: `${api(call)}/customers/${customerId}/campaigns:mutate`,
        json: {
          operations: [
            {
              update: { resourceName: `customers/${customerId}/campaigns/${campaignId}`, status },
              updateMask: 'status',
            },
          ],
        },
        headers: login ? { 'login-customer-id': login } : undefined,
      },
      // Setting a status twice leaves it as once.
      { idempotent: true },
    ),
  );
  const results = field(res.body, 'results');
  const resourceName = Array.isArray(results) ? field(results[0], 'resourceName') : undefined;
  return { resource_name: resourceName, status };
};

// ---- YouTube -------------------------------------------------------------------------------------

async function channels(call: OperationCall): Promise<Account[]> {
  const res = await call.api({
    method: 'GET',
    url: `${api(call)}/channels`,
    query: { part: 'snippet,statistics', mine: 'true' },
  });
  const items = field(res.body, 'items');
  const list = (Array.isArray(items) ? items : []).filter((item) => typeof field(item, 'id') === 'string');
  return list.map((item) => {
    const subscribers = field(item, 'statistics', 'subscriberCount');
    const videos = field(item, 'statistics', 'videoCount');
    return {
      id: String(field(item, 'id')),
      name: String(field(item, 'snippet', 'title') ?? ''),
      kind: 'channel',
      custom_url: field(item, 'snippet', 'customUrl'),
      subscriber_count: subscribers !== undefined ? Number(subscribers) : undefined,
      video_count: videos !== undefined ? Number(videos) : undefined,
    };
  });
}

const analytics = (call: OperationCall) => call.definition.endpoints.analytics ?? '';

const report: QueryFunction<Schemas['youtube']> = async (call, q, cursor) => {
  const startIndex = cursor ? Number(cursor) : 1;
  if (!Number.isSafeInteger(startIndex) || startIndex < 1) {
    throw conflict('The session’s cursor is not usable; run the query again.', { code: 'stale_cursor' });
  }
  const maxResults = q.max_results;
  const channel = call.accountId && CHANNEL.test(call.accountId) ? call.accountId : 'MINE';
  const res = await call.api(
    {
      method: 'GET',
      url: `${analytics(call)}/reports`,
      query: {
        ids: `channel==${channel}`,
        startDate: q.start_date,
        endDate: q.end_date,
        metrics: q.metrics.join(','),
        dimensions: q.dimensions?.join(','),
        sort: q.sort?.join(','),
        maxResults: maxResults !== undefined ? String(maxResults) : undefined,
        startIndex: String(startIndex),
      },
    },
    { report: true },
  );
  const headers = field(res.body, 'columnHeaders');
  const names = (Array.isArray(headers) ? headers : []).map((h) => String(field(h, 'name')));
  const table = field(res.body, 'rows');
  const rows = (Array.isArray(table) ? table : []).map((cells) =>
    flattenRow(
      Object.fromEntries(names.map((name, i) => [name, Array.isArray(cells) ? cells[i] : undefined])),
    ),
  );
  // A full page may have a successor; the cursor is the next startIndex.
  const more = maxResults !== undefined && rows.length >= maxResults;
  return { rows, cursor: more ? String(startIndex + rows.length) : undefined };
};

const MUTABLE_SNIPPET = ['title', 'description', 'tags', 'categoryId', 'defaultLanguage'];

const updateVideo: Executes['update_video'] = async (call, p) => {
  const videoId = p.video_id;
  // videos.update replaces every mutable snippet field: read the current ones so tags and language stay.
  const current = await call.api({
    method: 'GET',
    url: `${api(call)}/videos`,
    query: { part: 'snippet', id: videoId },
  });
  const items = field(current.body, 'items');
  const snippet = Array.isArray(items) ? field(items[0], 'snippet') : undefined;
  if (snippet === null || typeof snippet !== 'object') {
    throw new DomainError('platform_not_found', `YouTube has no video ${videoId}.`);
  }
  const kept = Object.fromEntries(
    MUTABLE_SNIPPET.map((k) => [k, (snippet as Record<string, unknown>)[k]]).filter(
      ([, v]) => v !== undefined,
    ),
  );
  const next = {
    ...kept,
    title: p.title,
    categoryId: p.category_id,
    ...(p.description !== undefined ? { description: p.description } : {}),
  };
  const res = await call.api(
    {
      method: 'PUT',
      url: `${api(call)}/videos`,
      query: { part: 'snippet' },
      json: { id: videoId, snippet: next },
    },
    // The same full snippet twice is the same update.
    { idempotent: true },
  );
  const saved = field(res.body, 'snippet');
  return {
    id: field(res.body, 'id') ?? videoId,
    title: field(saved, 'title'),
    category_id: field(saved, 'categoryId'),
    description: field(saved, 'description'),
    tags: field(saved, 'tags'),
    default_language: field(saved, 'defaultLanguage'),
  };
};

// ---- The family ------------------------------------------------------------------------------------

const isYoutube = (call: OperationCall) => call.definition.type === 'youtube';

async function accounts(call: OperationCall, limit?: AccountLimit): Promise<Account[] | AccountList> {
  if (isYoutube(call)) return channels(call);
  const listed = await adsAccounts(call, limit);
  rememberLogins(call.connectionId, listed.accounts, !listed.truncated && limit?.find === undefined);
  return listed;
}

// Each type's queries and executes; the service has refused an execute its type does not list.
export const googleOperations: FamilyOperations = typedOperations(
  { google_ads: googleAdsOperationSchemas, youtube: youtubeOperationSchemas },
  {
    accounts,
    query: { google_ads: gaqlQuery, youtube: report },
    execute: { update_campaign_status: updateCampaignStatus, update_video: updateVideo },
  },
);
