// Meta's operations: ad accounts, Pages and Instagram business accounts; Marketing API insights with
// cursor paging; Page and Instagram insights; posting to a Page with the Page's own token and the
// two-step Instagram publish.
import { field } from '../../platformHttp/client';
import { walkPages, joinLists, Walked } from '../listing';
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
import { facebookOperationSchemas, instagramOperationSchemas, metaOperationSchemas } from './schemas';

const SCHEMAS = {
  meta: metaOperationSchemas,
  facebook: facebookOperationSchemas,
  instagram: instagramOperationSchemas,
} as const;
type Query = QueryOf<typeof metaOperationSchemas>;
type Executes = ExecutesOf<(typeof SCHEMAS)[keyof typeof SCHEMAS]>;
import { flattenRow } from '../rows';
import { conflict, invalid, platformRefused } from '../../shared/errors';

const PAGE_SIZE = 100;
/** Instagram account metrics served as a daily series; every other one needs metric_type=total_value. */
const IG_TIME_SERIES = new Set(['reach', 'follower_count']);
/** Where no limit is given; the service passes ACCOUNT_LIST_LIMIT. Seeking one (`find`) ignores the cap. */
const DEFAULT_LIMIT: AccountLimit = { cap: 5000 };

interface PageEntry {
  id: string;
  name: string;
  access_token?: string;
  category?: string;
  instagram_business_account?: { id: string; username?: string };
}

const api = (call: OperationCall) => call.definition.endpoints.api;
/** Marketing API calls (ad accounts, insights) go to the same origin with the Marketing API version. */
const adsApi = (call: OperationCall) => call.definition.endpoints.ads ?? api(call);

/** A Graph API list, page by page, following `paging.cursors.after` (never the `next` URL: it holds the token). */
function listAll<T extends { id?: unknown }>(
  call: OperationCall,
  limit: AccountLimit,
  base: string,
  path: string,
  query: Record<string, string>,
): Promise<Walked<T>> {
  return walkPages<T>(
    limit,
    (item) => (item.id === undefined ? undefined : String(item.id)),
    async (after) => {
      const res = await call.api({
        method: 'GET',
        url: `${base}${path}`,
        query: { ...query, limit: String(PAGE_SIZE), after },
      });
      const data = field(res.body, 'data');
      const next = field(res.body, 'paging', 'next')
        ? field(res.body, 'paging', 'cursors', 'after')
        : undefined;
      return {
        items: Array.isArray(data) ? (data as T[]) : [],
        next: typeof next === 'string' ? next : undefined,
      };
    },
  );
}

function pages(call: OperationCall, limit: AccountLimit): Promise<Walked<PageEntry>> {
  return listAll<PageEntry>(call, limit, api(call), '/me/accounts', {
    fields: 'id,name,category,access_token,instagram_business_account{id,username}',
  });
}

async function adAccounts(call: OperationCall, limit: AccountLimit): Promise<AccountList> {
  const raw = await listAll<Record<string, unknown>>(call, limit, adsApi(call), '/me/adaccounts', {
    fields: 'account_id,name,account_status,currency',
  });
  const accounts = raw.items.map((a) => ({
    id: String(a.id ?? `act_${String(a.account_id)}`),
    name: String(a.name ?? ''),
    kind: 'ad_account',
    currency: a.currency,
    active: a.account_status === 1,
  }));
  return { accounts, truncated: raw.truncated };
}

/** Ad accounts (meta), then Pages and the Instagram accounts behind them. */
async function accounts(call: OperationCall, limit: AccountLimit = DEFAULT_LIMIT): Promise<AccountList> {
  const type = call.definition.type;
  // An ad account id (act_…) is never a Page's: seeking one skips the Pages; seeking anything else skips ad accounts.
  const seekingAdAccount = limit.find?.startsWith('act_');
  const ads =
    type === 'meta' && (limit.find === undefined || seekingAdAccount)
      ? await adAccounts(call, limit)
      : { accounts: [], truncated: false };
  if (seekingAdAccount) return ads;
  // Seeking an Instagram account walks every Page (its id is not a Page's), so it is found behind any of them.
  const listed = await pages(call, limit);
  const out: Account[] = [];
  for (const p of listed.items) {
    // The Page token stays here: it is a credential, not metadata.
    if (type !== 'instagram') out.push({ id: p.id, name: p.name, kind: 'page', category: p.category });
    const ig = p.instagram_business_account;
    if (ig && type !== 'facebook') {
      out.push({ id: ig.id, name: ig.username ?? ig.id, kind: 'instagram_account', page_id: p.id });
    }
  }
  return joinLists([ads, { accounts: out, truncated: listed.truncated }]);
}

async function pageToken(call: OperationCall, pageId: string): Promise<string> {
  const page = (await pages(call, { cap: DEFAULT_LIMIT.cap, find: pageId })).items.find(
    (p) => p.id === pageId,
  );
  if (!page?.access_token) {
    throw invalid(`Page ${pageId} is not one this connection manages (GET …/metadata lists them).`, {
      code: 'unknown_page',
    });
  }
  return page.access_token;
}

const asAdAccount = (id: string) => (id.startsWith('act_') ? id : `act_${id}`);

const DEFAULT_RESOURCE: Record<string, string> = {
  facebook: 'page_insights',
  instagram: 'instagram_insights',
};

function defaultResource(call: OperationCall): string {
  return DEFAULT_RESOURCE[call.definition.type] ?? 'insights';
}

async function adInsights(call: OperationCall, q: Query, cursor?: string): Promise<QueryPage> {
  const account = q.account_id ?? call.accountId;
  if (!account || !/^(act_)?[0-9]+$/.test(account)) {
    throw invalid('Name an ad account: query.account_id, or select one with POST …/account.', {
      code: 'no_account',
    });
  }
  const fields = q.fields ?? ['impressions', 'clicks', 'spend'];
  const res = await call.api(
    {
      method: 'GET',
      url: `${adsApi(call)}/${asAdAccount(account)}/insights`,
      query: {
        fields: fields.join(','),
        level: q.level,
        date_preset: q.date_preset,
        time_range: q.time_range ? JSON.stringify(q.time_range) : undefined,
        time_increment: q.time_increment !== undefined ? String(q.time_increment) : undefined,
        breakdowns: q.breakdowns?.join(','),
        limit: q.limit !== undefined ? String(q.limit) : undefined,
        after: cursor,
      },
    },
    { report: true },
  );
  const data = field(res.body, 'data');
  const rows = Array.isArray(data) ? data.map((r) => flattenRow(r as Record<string, unknown>)) : [];
  const next = field(res.body, 'paging', 'next') ? field(res.body, 'paging', 'cursors', 'after') : undefined;
  return { rows, cursor: typeof next === 'string' ? next : undefined };
}

/** Page and Instagram insights: one row per metric and day. */
async function organicInsights(
  call: OperationCall,
  q: Query,
  kind: 'page' | 'instagram',
): Promise<QueryPage> {
  const id = (kind === 'page' ? q.page_id : q.ig_user_id) ?? call.accountId;
  if (!id || !/^[0-9]+$/.test(id)) {
    throw invalid(
      `Name the ${kind === 'page' ? 'Page (page_id)' : 'Instagram account (ig_user_id)'} or select it with POST …/account.`,
      { code: 'no_account' },
    );
  }
  const metrics =
    q.metrics ?? (kind === 'page' ? ['page_post_engagements', 'page_follows'] : ['reach', 'follower_count']);
  const period = q.period ?? 'day';
  if (kind === 'instagram' && period !== 'day') {
    throw invalid('Instagram account insights take period "day" only.', { code: 'invalid_input' });
  }
  // Page insights need the Page's token; Instagram's work with the user token.
  const token = kind === 'page' ? await pageToken(call, id) : undefined;
  // Instagram serves most metrics only as a total over the range (metric_type=total_value); a few as a
  // daily series. One call per kind, so a mix of both works.
  const groups =
    kind === 'instagram'
      ? [
          { metrics: metrics.filter((m) => IG_TIME_SERIES.has(m)) },
          { metrics: metrics.filter((m) => !IG_TIME_SERIES.has(m)), metricType: 'total_value' },
        ].filter((g) => g.metrics.length > 0)
      : [{ metrics }];
  const data: unknown[] = [];
  for (const group of groups) {
    const res = await call.api(
      {
        method: 'GET',
        url: `${api(call)}/${id}/insights`,
        query: {
          metric: group.metrics.join(','),
          metric_type: group.metricType,
          period,
          since: q.since,
          until: q.until,
        },
      },
      { token, report: true },
    );
    const got = field(res.body, 'data');
    if (Array.isArray(got)) data.push(...got);
  }
  const rows: Array<Record<string, unknown>> = [];
  for (const series of data) {
    const values = field(series, 'values');
    for (const v of Array.isArray(values) ? values : []) {
      rows.push(
        flattenRow({
          metric: field(series, 'name'),
          period: field(series, 'period'),
          end_time: field(v, 'end_time'),
          value: field(v, 'value'),
        }),
      );
    }
    const total = field(series, 'total_value', 'value');
    if (total !== undefined)
      rows.push(flattenRow({ metric: field(series, 'name'), period: field(series, 'period'), value: total }));
  }
  return { rows };
}

async function query(call: OperationCall, q: Query, cursor?: string): Promise<QueryPage> {
  const resource = q.resource ?? defaultResource(call);
  if (resource === 'insights') return adInsights(call, q, cursor);
  return organicInsights(call, q, resource === 'page_insights' ? 'page' : 'instagram');
}

const publishInstagram: Executes['publish_instagram_media'] = async (call, p) => {
  const igUser = p.ig_user_id ?? call.accountId;
  if (!igUser || !/^[0-9]+$/.test(igUser)) {
    throw invalid('Name the Instagram account (ig_user_id) or select it with POST …/account.', {
      code: 'no_account',
    });
  }
  const created = await call.api({
    method: 'POST',
    url: `${api(call)}/${igUser}/media`,
    form: {
      image_url: p.image_url,
      video_url: p.video_url,
      caption: p.caption,
      // Video goes up as a Reel: Meta retired media_type=VIDEO for feed videos on 2023-11-09.
      media_type: p.media_type ?? (p.video_url ? 'REELS' : undefined),
    },
  });
  return checkContainer(call, igUser, String(field(created.body, 'id') ?? ''));
};

/**
 * One look at a container: publish it when FINISHED, report ERROR/EXPIRED, and otherwise hand back a pending
 * execute (videos take minutes to process; the caller checks again with message publish_status).
 */
async function checkContainer(call: OperationCall, igUser: string, container: string): Promise<unknown> {
  const res = await call.api({
    method: 'GET',
    url: `${api(call)}/${container}`,
    query: { fields: 'status_code,status' },
  });
  const code = field(res.body, 'status_code');
  const detail = field(res.body, 'status');
  if (code === 'FINISHED') {
    const published = await call.api({
      method: 'POST',
      url: `${api(call)}/${igUser}/media_publish`,
      query: { creation_id: container },
    });
    return { id: field(published.body, 'id'), container_id: container, status: 'published' };
  }
  // Published by an earlier check whose answer was lost: done, nothing to publish again.
  if (code === 'PUBLISHED') return { container_id: container, status: 'published' };
  if (code === 'ERROR') {
    throw platformRefused(
      `Instagram could not process the media (container ${container}: ${typeof detail === 'string' ? detail : 'ERROR'}).`,
      { code: 'platform_media_error' },
    );
  }
  if (code === 'EXPIRED') {
    throw conflict(
      `Instagram's container ${container} expired (24 h) before it was published; execute the publish again.`,
      { code: 'container_expired' },
    );
  }
  return {
    pending: true,
    data: {
      container_id: container,
      status: 'in_progress',
      status_code: typeof code === 'string' ? code : 'IN_PROGRESS',
    },
    resume: JSON.stringify({ u: igUser, c: container }),
  };
}

async function resume(call: OperationCall, operation: string, handle: string): Promise<unknown> {
  const parsed: unknown = JSON.parse(handle);
  const igUser = field(parsed, 'u');
  const container = field(parsed, 'c');
  if (
    operation !== 'publish_instagram_media' ||
    typeof igUser !== 'string' ||
    typeof container !== 'string'
  ) {
    throw invalid('Nothing of this connection can be checked for that operation.');
  }
  return checkContainer(call, igUser, container);
}

const publishPost: Executes['publish_post'] = async (call, p) => {
  const res = await call.api(
    {
      method: 'POST',
      url: `${api(call)}/${p.page_id}/feed`,
      form: { message: p.message, link: p.link },
    },
    { token: await pageToken(call, p.page_id) },
  );
  return { id: field(res.body, 'id') };
};

export const metaOperations: FamilyOperations = typedOperations(SCHEMAS, {
  accounts,
  query,
  execute: { publish_post: publishPost, publish_instagram_media: publishInstagram },
  resume,
});
