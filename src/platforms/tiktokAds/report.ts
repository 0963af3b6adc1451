// TikTok Ads' part of unified reports: canonical metrics as report/integrated/get metrics, dimensions as its
// data level (the ID dimension of a BASIC report) and stat_time_day, the call generated from them, figures
// parsed from TikTok's strings with "-" (unavailable) as null, never 0. TikTok's limits, as data:
// - a daily report spans at most 30 days: a longer range is cut into 30-day slices;
// - the only time dimensions are stat_time_day and stat_time_hour (no week or month): a week or month bucket
//   is one call over that bucket without a time dimension, so TikTok de-duplicates its reach itself;
// - without a time dimension a report spans at most 365 days, so `all` over a longer range is refused (its
//   reach could not be summed from pieces);
// - 40067 (query too large) splits the slice by date; pages are page/page_size (at most 1,000 rows);
// - the rate-limit codes (40100, 40016, 40133) answer 429 with Retry-After, and next_page resumes there.
import { invalid, platformRefused } from '../../shared/errors';
import { PlatformApiError } from '../api';
import { field } from '../../platformHttp/client';
import { OperationCall } from '../operations';
import { Dimension } from '../reporting/canonical';
import { chunkRange, dayCount, monthsOf, weeksOf } from '../reporting/dates';
import {
  CanonicalRow,
  FamilyReporter,
  ReportAccount,
  ReportMapping,
  ReportPlan,
  ReportSlice,
  SlicePage,
} from '../reporting/types';
import { MAX_PAGE_SIZE } from './schemas';

/** Days one daily report (with stat_time_day) may span. */
export const TIKTOK_MAX_DAILY_DAYS = 30;
/** Days one report without a time dimension may span. [unconfirmed: SeaTunnel's reading of the docs] */
export const TIKTOK_MAX_SPAN_DAYS = 365;
/** The events a report may count as conversions: the ad group's optimization event, or purchases. */
export const TIKTOK_CONVERSION_EVENTS = ['conversion', 'complete_payment'];
/** TikTok's click-through attribution windows, in days; 7 is TikTok's default (with 1-day view-through). */
export const TIKTOK_ATTRIBUTION_WINDOWS = [1, 7, 14, 28];
/** What TikTok writes where a figure is not available. */
const UNAVAILABLE = '-';

export const tiktokAdsReportMapping: ReportMapping = {
  type: 'tiktok_ads',
  metrics: {
    spend: { field: 'spend', note: 'decimal string in the advertiser currency' },
    impressions: { field: 'impressions' },
    clicks: { field: 'clicks', note: 'destination clicks' },
    conversions: {
      field: 'conversion',
      note: 'the ad group’s optimization event; complete_payment (purchases) with conversions.event',
    },
    conversion_value: {
      field: 'total_complete_payment_rate',
      note: 'purchase (complete_payment) value: TikTok reports no value for the optimization event',
    },
    reach: { field: 'reach', note: 'asked of TikTok for each bucket' },
    video_views: { field: 'video_play_actions', note: 'plays of any length' },
  },
  dimensions: {
    date: {
      field: 'stat_time_day',
      note: 'days: stat_time_day, 30 days per call; weeks and months: one call per bucket (TikTok has no week or month dimension)',
    },
    account: { field: 'data_level=AUCTION_ADVERTISER (advertiser_id)' },
    campaign: { field: 'data_level=AUCTION_CAMPAIGN (campaign_id, campaign_name)' },
    ad_group: { field: 'data_level=AUCTION_ADGROUP (adgroup_id, adgroup_name)' },
    ad: { field: 'data_level=AUCTION_AD (ad_id, ad_name)' },
  },
  timeZone: { source: 'the advertiser’s timezone (GET /advertiser/info/)' },
  currencySource: 'the advertiser’s currency (GET /advertiser/info/)',
  restatement: {
    days: 7,
    note:
      'conversions are credited to the day of the click for the attribution window set in TikTok ' +
      '(7 days by default; conversions.attribution_window_days names another: 1, 7, 14 or 28)',
  },
  // [unconfirmed] TikTok documents no retention for synchronous reports; connectors backfill two to three years.
  retentionDays: 3 * 365,
  maxDaysPerCall: TIKTOK_MAX_DAILY_DAYS,
  limits: [
    `a daily report spans at most ${TIKTOK_MAX_DAILY_DAYS} days: longer ranges are split`,
    `without a time dimension at most ${TIKTOK_MAX_SPAN_DAYS} days: time_increment all over a longer range is refused`,
    'no week or month dimension: one call per bucket',
    `pages of at most ${MAX_PAGE_SIZE} rows (page, page_size)`,
    'code 40067 (query too large): the slice is split by date',
    'rate limits: codes 40100, 40016, 40133 (429 with Retry-After; next_page resumes)',
    'BASIC reports only: no country or device (those are AUDIENCE reports)',
  ],
  defaultConversions: { event: 'conversion', attribution_window_days: 7 },
  conversionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      event: { enum: TIKTOK_CONVERSION_EVENTS },
      attribution_window_days: {
        enum: TIKTOK_ATTRIBUTION_WINDOWS,
        description:
          'The click-through window set in TikTok for these ads: TikTok applies its own setting; this decides restatable_from',
      },
    },
  },
};

/** Data levels from the finest: the deepest entity dimension asked decides. */
const LEVELS: Array<[Dimension, string, string]> = [
  ['ad', 'AUCTION_AD', 'ad_id'],
  ['ad_group', 'AUCTION_ADGROUP', 'adgroup_id'],
  ['campaign', 'AUCTION_CAMPAIGN', 'campaign_id'],
];
const ADVERTISER_LEVEL: [Dimension, string, string] = ['account', 'AUCTION_ADVERTISER', 'advertiser_id'];
/** The canonical columns of each entity dimension and TikTok's names for them. */
const ENTITY_COLUMNS: Partial<Record<Dimension, { id: string; name: string }>> = {
  campaign: { id: 'campaign_id', name: 'campaign_name' },
  ad_group: { id: 'adgroup_id', name: 'adgroup_name' },
  ad: { id: 'ad_id', name: 'ad_name' },
};

const levelOf = (dimensions: Dimension[]) => LEVELS.find(([d]) => dimensions.includes(d)) ?? ADVERTISER_LEVEL;

/** The metric TikTok counts conversions with, under the plan's definition. */
const conversionMetric = (plan: ReportPlan) =>
  plan.conversions.event === 'complete_payment' ? 'complete_payment' : 'conversion';

/** TikTok's metrics for a plan: the base metrics, then the names of the entities above the level. */
export function tiktokMetrics(plan: ReportPlan): string[] {
  const [levelDimension] = levelOf(plan.dimensions);
  const metrics: string[] = plan.metrics.map((m) =>
    m === 'conversions' ? conversionMetric(plan) : (tiktokAdsReportMapping.metrics[m]?.field ?? m),
  );
  for (const d of ['campaign', 'ad_group', 'ad'] as const) {
    const columns = ENTITY_COLUMNS[d];
    if (!columns || !plan.dimensions.includes(d)) continue;
    metrics.push(columns.name);
    // The level's own id is its dimension; ids of the entities above it are attribute metrics.
    if (d !== levelDimension) metrics.push(columns.id);
  }
  return metrics;
}

const api = (call: OperationCall) => call.definition.endpoints.api;
const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);

function isTimeZone(zone: string | undefined): zone is string {
  if (!zone) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

async function account(call: OperationCall, accountId: string | undefined): Promise<ReportAccount> {
  const id = accountId ?? call.accountId ?? call.config.advertiser_id;
  if (!id || !/^[0-9]{1,32}$/.test(id)) {
    throw invalid(
      'Name an advertiser: report.account_id (digits), select one with POST …/account, or set advertiser_id in the configuration.',
      { code: 'no_account' },
    );
  }
  const res = await call.api({
    method: 'GET',
    url: `${api(call)}/advertiser/info/`,
    query: {
      advertiser_ids: JSON.stringify([id]),
      fields: JSON.stringify(['advertiser_id', 'name', 'currency', 'timezone', 'display_timezone']),
    },
  });
  const list = field(res.body, 'data', 'list');
  const info = Array.isArray(list) ? list.find((a) => field(a, 'advertiser_id') === id) : undefined;
  const currency = str(field(info, 'currency'));
  const zone = [str(field(info, 'timezone')), str(field(info, 'display_timezone'))].find(isTimeZone);
  if (!info || !currency || !zone) {
    throw platformRefused(`TikTok did not give advertiser ${id}'s currency and time zone.`);
  }
  return { id, currency, timeZone: zone, name: str(field(info, 'name')) };
}

/**
 * Days in 30-day slices; weeks (Monday to Sunday, clipped to the range) and months one call each, without a
 * time dimension; all in one call, up to TikTok's span without a time dimension.
 */
function slices(plan: ReportPlan, since: string, until: string): ReportSlice[] {
  const of = (pieces: Array<[string, string]>, increment: ReportSlice['increment']) =>
    pieces.map(([s, u]) => ({ since: s, until: u, increment }));
  switch (plan.increment) {
    case 'day':
      return of(chunkRange(since, until, TIKTOK_MAX_DAILY_DAYS), 'day');
    case 'week':
      return of(weeksOf(since, until), 'week');
    case 'month':
      return of(monthsOf(since, until), 'month');
    default:
      if (dayCount(since, until) > TIKTOK_MAX_SPAN_DAYS) {
        throw invalid(
          `tiktok_ads gives one figure over at most ${TIKTOK_MAX_SPAN_DAYS} days; ask for time_increment month, or a shorter range.`,
          { code: 'range_too_long', details: { max_days: TIKTOK_MAX_SPAN_DAYS } },
        );
      }
      return [{ since, until, increment: 'all' }];
  }
}

/** A TikTok figure as a number: "-" (unavailable), missing or unreadable is null, never 0. */
function figure(v: unknown, integer: boolean): number | null {
  if (v === undefined || v === null || v === UNAVAILABLE || v === '') return null;
  const n = Number(v);
  if (!Number.isFinite(n)) return null;
  return integer ? Math.round(n) : n;
}

const text = (v: unknown) => (v === undefined || v === null || v === UNAVAILABLE ? null : String(v));

function canonicalRow(item: unknown, plan: ReportPlan, slice: ReportSlice): CanonicalRow {
  const dims = field(item, 'dimensions');
  const metrics = field(item, 'metrics');
  const day = str(field(dims, 'stat_time_day'));
  const row: CanonicalRow = { date: slice.increment === 'day' && day ? day.slice(0, 10) : slice.since };
  const [levelDimension, , idDimension] = levelOf(plan.dimensions);
  if (plan.dimensions.includes('account')) row.account_name = plan.account.name ?? null;
  for (const [d, columns] of Object.entries(ENTITY_COLUMNS)) {
    if (!columns || !plan.dimensions.includes(d as Dimension)) continue;
    const id = d === levelDimension ? field(dims, idDimension) : field(metrics, columns.id);
    row[`${d}_id`] = text(id);
    row[`${d}_name`] = text(field(metrics, columns.name));
  }
  for (const m of plan.metrics) {
    const native = m === 'conversions' ? conversionMetric(plan) : tiktokAdsReportMapping.metrics[m]?.field;
    const money = m === 'spend' || m === 'conversion_value';
    row[m] = figure(field(metrics, native ?? m), !money && m !== 'conversions');
  }
  return row;
}

const PAGE = /^[1-9][0-9]{0,5}$/;

async function page(
  call: OperationCall,
  plan: ReportPlan,
  slice: ReportSlice,
  cursor?: string,
): Promise<SlicePage> {
  const pageNumber = cursor && PAGE.test(cursor) ? Number(cursor) : 1;
  const [, dataLevel, idDimension] = levelOf(plan.dimensions);
  const dimensions = slice.increment === 'day' ? [idDimension, 'stat_time_day'] : [idDimension];
  let res;
  try {
    res = await call.api(
      {
        method: 'GET',
        url: `${api(call)}/report/integrated/get/`,
        query: {
          advertiser_id: plan.account.id,
          report_type: 'BASIC',
          data_level: dataLevel,
          dimensions: JSON.stringify(dimensions),
          metrics: JSON.stringify(tiktokMetrics(plan)),
          start_date: slice.since,
          end_date: slice.until,
          page: String(pageNumber),
          page_size: String(MAX_PAGE_SIZE),
        },
      },
      { report: true },
    );
  } catch (err) {
    // 40067: more than TikTok answers at once. Split by date, unless pages of this slice were already read.
    if (err instanceof PlatformApiError && err.failure.queryTooLarge && pageNumber === 1) {
      return { rows: [], split: true };
    }
    throw err;
  }
  const list = field(res.body, 'data', 'list');
  const rows = (Array.isArray(list) ? list : []).map((item) => canonicalRow(item, plan, slice));
  const totalPages = Number(field(res.body, 'data', 'page_info', 'total_page') ?? 0);
  const more = pageNumber < totalPages && rows.length > 0;
  return { rows, cursor: more ? String(pageNumber + 1) : undefined };
}

export const tiktokAdsReporter: FamilyReporter = {
  mapping: tiktokAdsReportMapping,
  account,
  slices,
  page,
  restatementDays: (conversions) =>
    typeof conversions.attribution_window_days === 'number'
      ? conversions.attribution_window_days
      : tiktokAdsReportMapping.restatement.days,
};
