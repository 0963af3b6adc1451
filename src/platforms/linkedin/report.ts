// LinkedIn's part of unified reports: canonical metrics as adAnalytics fields (at most 20 per call),
// dimensions as one pivot (campaign group, campaign, creative), days in UTC as LinkedIn reckons them.
// adAnalytics has no paging and silently stops at 15,000 elements: a slice that reaches the cap is split by
// date, and a single day that still reaches it is answered with a warning.
import { field } from '../../platformHttp/client';
import { OperationCall } from '../operations';
import { Dimension } from '../reporting/canonical';
import { chunkRange, DAILY_SLICE_DAYS, weeksOf } from '../reporting/dates';
import {
  CanonicalRow,
  FamilyReporter,
  ReportMapping,
  ReportPlan,
  ReportSlice,
  SlicePage,
} from '../reporting/types';
import { LINKEDIN_MAX_FIELDS } from './schemas';
import { invalid } from '../../shared/errors';

/** adAnalytics answers at most this many elements, without saying when it stopped. */
export const LINKEDIN_ELEMENT_CAP = 15_000;

export const LINKEDIN_CONVERSION_FIELDS = [
  'externalWebsiteConversions',
  'externalWebsitePostClickConversions',
  'externalWebsitePostViewConversions',
  'oneClickLeads',
];

export const linkedinReportMapping: ReportMapping = {
  type: 'linkedin',
  metrics: {
    spend: { field: 'costInLocalCurrency', note: 'the account currency (not costInUsd)' },
    impressions: { field: 'impressions' },
    clicks: {
      field: 'landingPageClicks',
      note: 'clicks to the landing page; LinkedIn’s clicks counts every click',
    },
    conversions: { field: 'externalWebsiteConversions', note: 'or the fields of conversions.fields, summed' },
    conversion_value: { field: 'conversionValueInLocalCurrency' },
    reach: { field: 'approximateMemberReach', note: 'approximate; asked of LinkedIn for each bucket' },
    video_views: { field: 'videoViews' },
  },
  dimensions: {
    date: { field: 'dateRange.start', note: 'timeGranularity DAILY, MONTHLY, ALL; weeks as one call each' },
    account: { field: 'pivot=ACCOUNT' },
    campaign: { field: 'pivot=CAMPAIGN_GROUP' },
    ad_group: { field: 'pivot=CAMPAIGN' },
    ad: { field: 'pivot=CREATIVE' },
  },
  timeZone: { source: 'LinkedIn reports every account in UTC', fixed: 'UTC' },
  currencySource: 'the ad account’s currency (GET /rest/adAccounts/{id})',
  restatement: { days: 30, note: 'conversions are attributed for up to 30 days after the click' },
  retentionDays: 3650,
  limits: [
    `at most ${LINKEDIN_MAX_FIELDS} fields per call`,
    `at most ${LINKEDIN_ELEMENT_CAP} elements per answer, no paging: split by date, warned when a day reaches it`,
    'one pivot per call; names are not in adAnalytics (the *_name columns are null)',
  ],
  defaultConversions: { fields: ['externalWebsiteConversions'] },
  conversionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      fields: {
        type: 'array',
        minItems: 1,
        uniqueItems: true,
        items: { enum: LINKEDIN_CONVERSION_FIELDS },
      },
    },
  },
};

const PIVOTS: Array<[Dimension, string, string]> = [
  ['account', 'ACCOUNT', 'account'],
  ['campaign', 'CAMPAIGN_GROUP', 'campaign'],
  ['ad_group', 'CAMPAIGN', 'ad_group'],
  ['ad', 'CREATIVE', 'ad'],
];

const GRANULARITY: Record<ReportSlice['increment'], string> = {
  day: 'DAILY',
  week: 'ALL',
  month: 'MONTHLY',
  all: 'ALL',
};

function check(dimensions: Dimension[]): string | undefined {
  const pivots = PIVOTS.filter(([d]) => dimensions.includes(d)).map(([d]) => d);
  return pivots.length > 1
    ? `LinkedIn reports one of account, campaign, ad_group, ad at a time (asked: ${pivots.join(', ')}).`
    : undefined;
}

/** The adAnalytics fields a plan needs: metrics, then dateRange and pivotValues; never more than 20. */
export function analyticsFields(plan: ReportPlan): string[] {
  const fields = new Set<string>(['dateRange', 'pivotValues']);
  for (const m of plan.metrics) {
    if (m === 'conversions') for (const f of plan.conversions.fields as string[]) fields.add(f);
    else {
      const native = linkedinReportMapping.metrics[m]?.field;
      if (native) fields.add(native);
    }
  }
  if (fields.size > LINKEDIN_MAX_FIELDS) {
    throw invalid(`LinkedIn takes at most ${LINKEDIN_MAX_FIELDS} fields per report.`, {
      code: 'invalid_input',
    });
  }
  return [...fields];
}

const api = (call: OperationCall) => call.definition.endpoints.api;

async function account(call: OperationCall, accountId: string | undefined) {
  const id = accountId ?? call.accountId;
  if (!id || !/^[0-9]{1,20}$/.test(id)) {
    throw invalid('Name an ad account: report.account_id (digits), or select one with POST …/account.', {
      code: 'no_account',
    });
  }
  const res = await call.api({ method: 'GET', url: `${api(call)}/rest/adAccounts/${id}` });
  return { id, currency: String(field(res.body, 'currency') ?? ''), timeZone: 'UTC' };
}

/**
 * Weeks are asked one by one (LinkedIn has no weekly granularity); days 30 at a time, so an answer holds 30 days
 * of rows rather than up to 15,000 elements of a long range; months and all in one slice.
 */
function slices(plan: ReportPlan, since: string, until: string): ReportSlice[] {
  if (plan.increment === 'day') {
    return chunkRange(since, until, DAILY_SLICE_DAYS).map(([s, u]) => ({
      since: s,
      until: u,
      increment: 'day',
    }));
  }
  if (plan.increment !== 'week') return [{ since, until, increment: plan.increment }];
  return weeksOf(since, until).map(([s, u]) => ({ since: s, until: u, increment: 'week' as const }));
}

const restliDate = (day: string) => {
  const [y, m, d] = day.split('-').map(Number);
  return `(year:${y},month:${m},day:${d})`;
};

const isoDate = (d: unknown) =>
  ['year', 'month', 'day'].map((k, i) => String(field(d, k) ?? '').padStart(i === 0 ? 4 : 2, '0')).join('-');

const num = (v: unknown) => (v === undefined || v === null ? 0 : Number(v));

function canonicalRow(
  element: Record<string, unknown>,
  plan: ReportPlan,
  pivotColumn?: string,
): CanonicalRow {
  const row: CanonicalRow = { date: isoDate(field(element, 'dateRange', 'start')) };
  if (pivotColumn) {
    const values = element.pivotValues;
    const urn = Array.isArray(values) ? String(values[0]) : '';
    const id = urn.split(':').pop() ?? urn;
    if (pivotColumn === 'account') row.account_name = null;
    else Object.assign(row, { [`${pivotColumn}_id`]: id, [`${pivotColumn}_name`]: null });
  }
  for (const m of plan.metrics) {
    if (m === 'conversions')
      row.conversions = (plan.conversions.fields as string[]).reduce((s, f) => s + num(element[f]), 0);
    else {
      const native = linkedinReportMapping.metrics[m]?.field ?? '';
      const value = num(element[native]);
      row[m] = m === 'spend' || m === 'conversion_value' ? value : Math.round(value);
    }
  }
  return row;
}

async function page(call: OperationCall, plan: ReportPlan, slice: ReportSlice): Promise<SlicePage> {
  const pivot = PIVOTS.find(([d]) => plan.dimensions.includes(d));
  // Rest.li reads ( ) , : as structure only when bare: the URN inside List(...) is percent-encoded.
  const search = [
    'q=analytics',
    `pivot=${pivot?.[1] ?? 'ACCOUNT'}`,
    `timeGranularity=${GRANULARITY[slice.increment]}`,
    `dateRange=(start:${restliDate(slice.since)},end:${restliDate(slice.until)})`,
    `accounts=List(${encodeURIComponent(`urn:li:sponsoredAccount:${plan.account.id}`)})`,
    `fields=${analyticsFields(plan).join(',')}`,
  ].join('&');
  const res = await call.api(
    { method: 'GET', url: `${api(call)}/rest/adAnalytics?${search}` },
    { report: true },
  );
  const elements = field(res.body, 'elements');
  const list = Array.isArray(elements) ? (elements as Array<Record<string, unknown>>) : [];
  if (list.length >= LINKEDIN_ELEMENT_CAP) {
    if (slice.since < slice.until) return { rows: [], split: true };
    return {
      rows: list.map((e) => canonicalRow(e, plan, pivot?.[2])),
      warnings: [
        `LinkedIn answered its cap of ${LINKEDIN_ELEMENT_CAP} elements for ${slice.since} alone: rows of that day may be missing.`,
      ],
    };
  }
  return { rows: list.map((e) => canonicalRow(e, plan, pivot?.[2])) };
}

export const linkedinReporter: FamilyReporter = {
  mapping: linkedinReportMapping,
  account,
  check,
  slices,
  page,
};
