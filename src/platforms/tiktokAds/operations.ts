// TikTok Ads operations: the advertisers the person authorized (oauth2/advertiser/get/, which wants the app's
// id and secret beside the token) with their currency and time zone (advertiser/info/), and one synchronous
// report (report/integrated/get/) paged by page number.
import { field } from '../../platformHttp/client';
import { Account, FamilyOperations, OperationCall, QueryOf, QueryPage, typedOperations } from '../operations';
import { tiktokAdsOperationSchemas } from './schemas';

type Query = QueryOf<typeof tiktokAdsOperationSchemas>;
import { flattenRow } from '../rows';
import { conflict, invalid, platformRefused } from '../../shared/errors';

/** advertiser/info/ takes at most 100 advertiser ids per call. */
const INFO_BATCH = 100;
const INFO_FIELDS = ['advertiser_id', 'name', 'currency', 'timezone', 'display_timezone', 'status'];
const DEFAULT_PAGE_SIZE = 100;
const PAGE = /^[1-9][0-9]{0,5}$/;
/** What TikTok writes where a figure is not available. */
const UNAVAILABLE = '-';

const api = (call: OperationCall) => call.definition.endpoints.api;
const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);

function appCredentials(call: OperationCall): { app_id: string; secret: string } {
  const { app_id: appId, secret } = call.config;
  if (!appId || !secret) {
    throw conflict('The TikTok Ads app credentials (app_id and secret) are missing.', {
      code: 'no_app_credentials',
    });
  }
  return { app_id: appId, secret };
}

async function advertiserIds(call: OperationCall): Promise<Array<{ id: string; name?: string }>> {
  const res = await call.api({
    method: 'GET',
    url: `${api(call)}/oauth2/advertiser/get/`,
    query: appCredentials(call),
  });
  const list = field(res.body, 'data', 'list');
  if (!Array.isArray(list)) {
    throw platformRefused('TikTok answered oauth2/advertiser/get/ without a list.');
  }
  return list.flatMap((a) => {
    const id = field(a, 'advertiser_id');
    const name = str(field(a, 'advertiser_name'));
    // Ids are 64-bit: TikTok sends them as strings; a number would already have lost digits.
    return typeof id === 'string' && /^[0-9]{1,32}$/.test(id) ? [{ id, name }] : [];
  });
}

async function advertiserInfo(call: OperationCall, ids: string[]): Promise<Map<string, unknown>> {
  const info = new Map<string, unknown>();
  for (let i = 0; i < ids.length; i += INFO_BATCH) {
    const res = await call.api({
      method: 'GET',
      url: `${api(call)}/advertiser/info/`,
      query: {
        advertiser_ids: JSON.stringify(ids.slice(i, i + INFO_BATCH)),
        fields: JSON.stringify(INFO_FIELDS),
      },
    });
    const list = field(res.body, 'data', 'list');
    for (const a of Array.isArray(list) ? list : []) {
      const id = field(a, 'advertiser_id');
      if (typeof id === 'string') info.set(id, a);
    }
  }
  return info;
}

async function accounts(call: OperationCall): Promise<Account[]> {
  const advertisers = await advertiserIds(call);
  const info = await advertiserInfo(
    call,
    advertisers.map((a) => a.id),
  );
  return advertisers.map(({ id, name }) => {
    const details = info.get(id);
    return {
      id,
      name: str(field(details, 'name')) ?? name ?? id,
      kind: 'advertiser',
      currency: str(field(details, 'currency')) ?? null,
      time_zone: str(field(details, 'timezone')) ?? null,
      status: str(field(details, 'status')) ?? null,
    };
  });
}

/** A report row as one flat object: dimensions and metrics side by side, numbers as numbers, "-" as null. */
function reportRow(item: unknown): Record<string, unknown> {
  const dimensions = field(item, 'dimensions');
  const metrics = field(item, 'metrics');
  const flat = flattenRow({
    ...(typeof dimensions === 'object' && dimensions !== null ? dimensions : {}),
    ...(typeof metrics === 'object' && metrics !== null ? metrics : {}),
  });
  for (const [k, v] of Object.entries(flat)) if (v === UNAVAILABLE) flat[k] = null;
  return flat;
}

async function report(call: OperationCall, q: Query, cursor?: string): Promise<QueryPage> {
  if (cursor !== undefined && !PAGE.test(cursor)) {
    throw invalid("The session's cursor is not a TikTok page number; run the query again.");
  }
  const advertiser = q.advertiser_id ?? call.accountId ?? call.config.advertiser_id;
  if (!advertiser) {
    throw invalid(
      'Name an advertiser: query.advertiser_id, select one with POST …/account, or set advertiser_id in the configuration.',
      { code: 'account_required' },
    );
  }
  const lifetime = q.query_lifetime === true;
  if (!lifetime && q.start_date === undefined) {
    throw invalid('A TikTok report needs start_date and end_date, or query_lifetime: true.');
  }
  const page = cursor === undefined ? 1 : Number(cursor);
  const res = await call.api(
    {
      method: 'GET',
      url: `${api(call)}/report/integrated/get/`,
      query: {
        advertiser_id: advertiser,
        report_type: q.report_type ?? 'BASIC',
        data_level: q.data_level ?? 'AUCTION_CAMPAIGN',
        dimensions: JSON.stringify(q.dimensions),
        metrics: JSON.stringify(q.metrics),
        start_date: lifetime ? undefined : q.start_date,
        end_date: lifetime ? undefined : q.end_date,
        query_lifetime: lifetime ? 'true' : undefined,
        order_field: q.order_field,
        order_type: q.order_type,
        page: String(page),
        page_size: String(q.page_size ?? DEFAULT_PAGE_SIZE),
      },
    },
    { report: true },
  );
  const list = field(res.body, 'data', 'list');
  const rows = Array.isArray(list) ? list.map(reportRow) : [];
  const totalPages = field(res.body, 'data', 'page_info', 'total_page');
  const more = typeof totalPages === 'number' && page < totalPages && rows.length > 0;
  return { rows, cursor: more ? String(page + 1) : undefined };
}

export const tiktokAdsOperations: FamilyOperations = typedOperations(
  { tiktok_ads: tiktokAdsOperationSchemas },
  { accounts, query: report, execute: {} },
);
