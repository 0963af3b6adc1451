// Google Ads' part of unified reports: canonical metrics and dimensions as GAQL fields and segments, the
// GAQL generated from them, money from micros, dates in the customer's time zone, Google's fixed pages.
import { field } from '../../platformHttp/client';
import { OperationCall } from '../operations';
import { flattenRow } from '../rows';
import { Dimension } from '../reporting/canonical';
import { chunkRange, DAILY_SLICE_DAYS } from '../reporting/dates';
import {
  CanonicalRow,
  FamilyReporter,
  ReportMapping,
  ReportPlan,
  ReportSlice,
  SlicePage,
} from '../reporting/types';
import { configuredLogin, customerOf, gaqlKeys, onCustomer, search } from './operations';

export const googleAdsReportMapping: ReportMapping = {
  type: 'google_ads',
  metrics: {
    spend: { field: 'metrics.cost_micros', scale: 'micros' },
    impressions: { field: 'metrics.impressions' },
    clicks: { field: 'metrics.clicks' },
    conversions: {
      field: 'metrics.conversions',
      note: 'conversion actions included in Conversions; metrics.all_conversions with conversions.source',
    },
    conversion_value: { field: 'metrics.conversions_value' },
    video_views: { field: 'metrics.video_trueview_views' },
  },
  dimensions: {
    date: { field: 'segments.date / segments.week / segments.month' },
    account: { field: 'customer' },
    campaign: { field: 'campaign' },
    ad_group: { field: 'ad_group' },
    ad: {
      field: 'ad_group_ad (ad_group_ad.ad.id, ad_group_ad.ad.name)',
      note: 'with campaign and ad_group as well, each ad comes with its ad group and campaign',
    },
    country: {
      field: 'geographic_view.country_criterion_id',
      note:
        'where people were (location_type LOCATION_OF_PRESENCE; areas of interest overlap and are left out); the ' +
        'criterion id becomes its ISO code through geo_target_constant.country_code; not together with ad',
    },
    device: { field: 'segments.device' },
  },
  timeZone: { source: 'customer.time_zone' },
  currencySource: 'customer.currency_code',
  restatement: {
    days: 30,
    note: 'conversions are credited to the click’s day for the conversion window (30 days unless set otherwise)',
  },
  retentionDays: 37 * 30,
  limits: ['pages of 10,000 rows (fixed)', 'quota per developer token', 'reach is not reported per row'],
  defaultConversions: { source: 'conversions' },
  conversionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: { source: { enum: ['conversions', 'all_conversions'] } },
  },
};

// The first dimension present names the FROM resource; geographic_view is segmented by campaign and ad group.
const RESOURCES: Array<[Dimension, string]> = [
  ['ad', 'ad_group_ad'],
  ['country', 'geographic_view'],
  ['ad_group', 'ad_group'],
  ['campaign', 'campaign'],
];

/** Google's geographic_view does not segment by ad. */
function check(dimensions: Dimension[]): string | undefined {
  return dimensions.includes('ad') && dimensions.includes('country')
    ? 'dimensions ad and country cannot be reported together (geographic_view is not segmented by ad)'
    : undefined;
}

const DATE_SEGMENT: Record<ReportSlice['increment'], string | undefined> = {
  day: 'segments.date',
  week: 'segments.week',
  month: 'segments.month',
  all: undefined,
};

function gaqlOf(plan: ReportPlan, slice: ReportSlice): string {
  const from = RESOURCES.find(([d]) => plan.dimensions.includes(d))?.[1] ?? 'customer';
  const has = (d: Dimension) => plan.dimensions.includes(d);
  // In geographic_view campaign and ad group fields segment the rows: select them only when asked for.
  const byGroup =
    from === 'ad_group' || from === 'ad_group_ad' || (from === 'geographic_view' && has('ad_group'));
  const byCampaign = byGroup || from === 'campaign' || (from === 'geographic_view' && has('campaign'));
  const select: string[] = [];
  if (has('account')) select.push('customer.id', 'customer.descriptive_name');
  if (byCampaign) select.push('campaign.id', 'campaign.name');
  if (byGroup) select.push('ad_group.id', 'ad_group.name');
  if (from === 'ad_group_ad') select.push('ad_group_ad.ad.id', 'ad_group_ad.ad.name');
  if (from === 'geographic_view') select.push('geographic_view.country_criterion_id');
  if (plan.dimensions.includes('device')) select.push('segments.device');
  const date = DATE_SEGMENT[slice.increment];
  if (date) select.push(date);
  const all = plan.conversions.source === 'all_conversions';
  for (const m of plan.metrics) {
    if (m === 'conversions') select.push(all ? 'metrics.all_conversions' : 'metrics.conversions');
    else if (m === 'conversion_value')
      select.push(all ? 'metrics.all_conversions_value' : 'metrics.conversions_value');
    else {
      const native = googleAdsReportMapping.metrics[m]?.field;
      if (native) select.push(native);
    }
  }
  const where = [`segments.date BETWEEN '${slice.since}' AND '${slice.until}'`];
  if (from === 'geographic_view') where.unshift(`geographic_view.location_type = 'LOCATION_OF_PRESENCE'`);
  return `SELECT ${select.join(', ')} FROM ${from} WHERE ${where.join(' AND ')}`;
}

async function account(call: OperationCall, accountId: string | undefined) {
  const id = customerOf(call, accountId);
  const { result, login } = await onCustomer(call, id, configuredLogin(call), (l) =>
    search(call, id, l, { query: 'SELECT customer.currency_code, customer.time_zone FROM customer' }),
  );
  const results = field(result.body, 'results');
  const customer = Array.isArray(results) ? field(results[0], 'customer') : undefined;
  return {
    id,
    currency: String(field(customer, 'currencyCode') ?? ''),
    timeZone: String(field(customer, 'timeZone') ?? 'UTC'),
    ...(login ? { via: login } : {}),
  };
}

const num = (v: unknown) => (v === undefined || v === null ? 0 : Number(v));
const text = (v: unknown) => (v === undefined || v === null ? null : String(v));

function canonicalRow(native: Record<string, unknown>, plan: ReportPlan, slice: ReportSlice): CanonicalRow {
  const date = DATE_SEGMENT[slice.increment];
  const row: CanonicalRow = { date: date ? String(native[date]) : slice.since };
  for (const d of plan.dimensions) {
    if (d === 'account') row.account_name = text(native['customer.descriptive_name']);
    if (d === 'campaign')
      Object.assign(row, {
        campaign_id: text(native['campaign.id']),
        campaign_name: text(native['campaign.name']),
      });
    if (d === 'ad_group')
      Object.assign(row, {
        ad_group_id: text(native['ad_group.id']),
        ad_group_name: text(native['ad_group.name']),
      });
    if (d === 'ad')
      Object.assign(row, {
        ad_id: text(native['ad_group_ad.ad.id']),
        ad_name: text(native['ad_group_ad.ad.name']),
      });
    if (d === 'country') {
      const geo = countries.get(String(native['geographic_view.country_criterion_id']));
      Object.assign(row, { country_id: geo?.code ?? null, country_name: geo?.name ?? null });
    }
    if (d === 'device') Object.assign(row, { device_id: text(native['segments.device']), device_name: null });
  }
  const all = plan.conversions.source === 'all_conversions';
  for (const m of plan.metrics) {
    if (m === 'spend') row.spend = num(native['metrics.cost_micros']) / 1e6;
    if (m === 'impressions') row.impressions = Math.round(num(native['metrics.impressions']));
    if (m === 'clicks') row.clicks = Math.round(num(native['metrics.clicks']));
    if (m === 'conversions')
      row.conversions = num(native[all ? 'metrics.all_conversions' : 'metrics.conversions']);
    if (m === 'conversion_value')
      row.conversion_value = num(native[all ? 'metrics.all_conversions_value' : 'metrics.conversions_value']);
    if (m === 'video_views') row.video_views = Math.round(num(native['metrics.video_trueview_views']));
  }
  return row;
}

/** Country criterion ids → ISO code and English name: geo target constants are the same for every customer. */
const countries = new Map<string, { code: string | null; name: string | null }>();

/** Looks up the country criterion ids of a page that are not known yet, in one geo_target_constant query. */
async function learnCountries(call: OperationCall, plan: ReportPlan, results: unknown[]): Promise<void> {
  const ids = new Set<string>();
  for (const r of results) {
    const id = field(field(r, 'geographicView'), 'countryCriterionId');
    if (id !== undefined && id !== null && /^\d+$/.test(String(id)) && !countries.has(String(id)))
      ids.add(String(id));
  }
  if (ids.size === 0) return;
  const res = await search(call, plan.account.id, plan.account.via, {
    query: `SELECT geo_target_constant.id, geo_target_constant.country_code, geo_target_constant.name FROM geo_target_constant WHERE geo_target_constant.id IN (${[...ids].join(', ')})`,
  });
  const found = field(res.body, 'results');
  for (const g of Array.isArray(found) ? found : []) {
    const constant = field(g, 'geoTargetConstant');
    countries.set(String(field(constant, 'id')), {
      code: text(field(constant, 'countryCode')),
      name: text(field(constant, 'name')),
    });
  }
}

async function page(
  call: OperationCall,
  plan: ReportPlan,
  slice: ReportSlice,
  cursor?: string,
): Promise<SlicePage> {
  const id = plan.account.id;
  // The page size is Google's (10,000 rows): sending pageSize is an error.
  const res = await search(
    call,
    id,
    plan.account.via,
    { query: gaqlOf(plan, slice), pageToken: cursor },
    { report: true },
  );
  const results = field(res.body, 'results');
  if (plan.dimensions.includes('country') && Array.isArray(results))
    await learnCountries(call, plan, results);
  const rows = (Array.isArray(results) ? results : []).map((r) =>
    canonicalRow(gaqlKeys(flattenRow(r as Record<string, unknown>)), plan, slice),
  );
  const next = field(res.body, 'nextPageToken');
  return { rows, cursor: typeof next === 'string' && next ? next : undefined };
}

/**
 * Google buckets weeks on Mondays and months on the 1st itself: one slice covers the range. Daily rows are
 * asked 30 days at a time, so an answer holds 30 days of rows, not up to a 10,000-row page of a long range.
 */
const slices = (plan: ReportPlan, since: string, until: string): ReportSlice[] =>
  plan.increment === 'day'
    ? chunkRange(since, until, DAILY_SLICE_DAYS).map(([s, u]) => ({ since: s, until: u, increment: 'day' }))
    : [{ since, until, increment: plan.increment }];

export const googleAdsReporter: FamilyReporter = {
  mapping: googleAdsReportMapping,
  account,
  check,
  slices,
  page,
};
