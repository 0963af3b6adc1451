// Meta's part of unified reports: canonical metrics and dimensions as Marketing API insights fields, levels
// and breakdowns; the insights call generated from them; large slices as asynchronous insights jobs
// (report_run_id), polled and split by date when Meta gives up on them.
import { PlatformApiError } from '../api';
import { field } from '../../platformHttp/client';
import { OperationCall } from '../operations';
import { Dimension } from '../reporting/canonical';
import { dayCount, mondayOf, weeksOf } from '../reporting/dates';
import {
  CanonicalRow,
  FamilyReporter,
  ReportMapping,
  ReportPlan,
  ReportSlice,
  SlicePage,
} from '../reporting/types';
import { invalid, platformRefused } from '../../shared/errors';

/** Meta's action types counted as conversions unless report.conversions names others (Fivetran's defaults). */
export const META_DEFAULT_ACTION_TYPES = [
  'offsite_conversion.fb_pixel_purchase',
  'offsite_conversion.fb_pixel_lead',
  'offsite_conversion.fb_pixel_custom',
  'onsite_conversion.purchase',
  'onsite_conversion.lead_grouped',
];
/** Meta's default attribution setting; 7d_view and 28d_view were removed on 2026-01-12. */
export const META_ATTRIBUTION_WINDOWS = ['1d_click', '7d_click', '28d_click', '1d_view', '1d_ev'];

export const metaReportMapping: ReportMapping = {
  type: 'meta',
  metrics: {
    spend: { field: 'spend', note: 'decimal string in account_currency' },
    impressions: { field: 'impressions' },
    clicks: { field: 'inline_link_clicks', note: 'link clicks; Meta’s clicks counts every click' },
    conversions: {
      field: 'actions',
      note: 'sum of the configured action types over the attribution windows',
    },
    conversion_value: { field: 'action_values', note: 'same action types and windows as conversions' },
    reach: { field: 'reach', note: 'asked of Meta for each bucket' },
    video_views: { field: 'video_play_actions', note: 'plays of any length' },
  },
  dimensions: {
    date: { field: 'date_start', note: 'time_increment 1, 7 from a Monday, monthly or all_days' },
    account: { field: 'level=account' },
    campaign: { field: 'level=campaign' },
    ad_group: { field: 'level=adset' },
    ad: { field: 'level=ad' },
    country: { field: 'breakdowns=country' },
    device: { field: 'breakdowns=device_platform' },
  },
  timeZone: { source: 'the ad account’s timezone_name' },
  currencySource: 'the ad account’s currency',
  restatement: { days: 28, note: 'Meta may change figures for 28 days' },
  retentionDays: 37 * 30,
  limits: [
    'insights kept 37 months',
    'large requests run as asynchronous jobs (report_run_id), split by date when a job fails',
    'rate limits: codes 4, 17, 32, 613, 80000-80014',
  ],
  defaultConversions: {
    action_types: META_DEFAULT_ACTION_TYPES,
    attribution_windows: ['7d_click', '1d_view'],
  },
  conversionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      action_types: {
        type: 'array',
        minItems: 1,
        maxItems: 20,
        uniqueItems: true,
        items: { type: 'string', pattern: '^[a-z][a-z0-9_.]{0,99}$' },
      },
      attribution_windows: {
        type: 'array',
        minItems: 1,
        uniqueItems: true,
        items: { enum: META_ATTRIBUTION_WINDOWS },
      },
    },
  },
};

const LEVELS: Array<[Dimension, string]> = [
  ['ad', 'ad'],
  ['ad_group', 'adset'],
  ['campaign', 'campaign'],
];
const BREAKDOWNS: Partial<Record<Dimension, string>> = { country: 'country', device: 'device_platform' };
const LEVEL_WEIGHT: Record<string, number> = { account: 1, campaign: 20, adset: 100, ad: 500 };
/** Above this estimate of rows × days a slice runs as an asynchronous job. */
const ASYNC_ABOVE = 5_000;
const PAGE_LIMIT = 500;
const POLL_DELAYS_MS = [200, 400, 800, 1_600, 3_000];
const POLL_BUDGET_MS = 60_000;

const JOB = 'job:';

function levelOf(dimensions: Dimension[]): string {
  return LEVELS.find(([d]) => dimensions.includes(d))?.[1] ?? 'account';
}

const breakdownsOf = (dimensions: Dimension[]) =>
  dimensions.flatMap((d) => (BREAKDOWNS[d] ? [BREAKDOWNS[d]] : []));

function fieldsOf(plan: ReportPlan, level: string): string[] {
  const fields = ['account_id', 'account_name'];
  if (level !== 'account') fields.push('campaign_id', 'campaign_name');
  if (level === 'adset' || level === 'ad') fields.push('adset_id', 'adset_name');
  if (level === 'ad') fields.push('ad_id', 'ad_name');
  for (const m of plan.metrics) {
    const native = metaReportMapping.metrics[m]?.field;
    if (native && !fields.includes(native)) fields.push(native);
  }
  return fields;
}

const INCREMENT: Record<ReportSlice['increment'], string> = {
  day: '1',
  week: '7',
  month: 'monthly',
  all: 'all_days',
};

function insightsParams(plan: ReportPlan, slice: ReportSlice): Record<string, string | undefined> {
  const level = levelOf(plan.dimensions);
  const breakdowns = breakdownsOf(plan.dimensions);
  const windows = plan.conversions.attribution_windows as string[];
  return {
    fields: fieldsOf(plan, level).join(','),
    level,
    time_range: JSON.stringify({ since: slice.since, until: slice.until }),
    time_increment: INCREMENT[slice.increment],
    breakdowns: breakdowns.length ? breakdowns.join(',') : undefined,
    action_attribution_windows: JSON.stringify(windows),
    limit: String(PAGE_LIMIT),
  };
}

// Marketing API calls go to its own version (CONNECTOR_META_ADS_API_VERSION), whatever the Graph version.
const api = (call: OperationCall) => call.definition.endpoints.ads ?? call.definition.endpoints.api;
const asAdAccount = (id: string) => (id.startsWith('act_') ? id : `act_${id}`);

async function account(call: OperationCall, accountId: string | undefined) {
  const id = accountId ?? call.accountId;
  if (!id || !/^(act_)?[0-9]{1,32}$/.test(id)) {
    throw invalid('Name an ad account: report.account_id (act_…), or select one with POST …/account.', {
      code: 'no_account',
    });
  }
  const res = await call.api({
    method: 'GET',
    url: `${api(call)}/${asAdAccount(id)}`,
    query: { fields: 'account_id,currency,timezone_name' },
  });
  return {
    id: asAdAccount(id),
    currency: String(field(res.body, 'currency') ?? ''),
    timeZone: String(field(res.body, 'timezone_name') ?? 'UTC'),
  };
}

/** Weeks go to Meta as time_increment 7 from a Monday; a range starting mid-week sends its first days alone. */
function slices(plan: ReportPlan, since: string, until: string): ReportSlice[] {
  if (plan.increment !== 'week') return [{ since, until, increment: plan.increment }];
  const [first, ...rest] = weeksOf(since, until);
  if (rest.length === 0 || mondayOf(since) === since) return [{ since, until, increment: 'week' }];
  return [
    { since: first[0], until: first[1], increment: 'all' },
    { since: rest[0][0], until, increment: 'week' },
  ];
}

function sumActions(list: unknown, types: string[], windows: string[]): number {
  if (!Array.isArray(list)) return 0;
  let sum = 0;
  for (const action of list) {
    if (!types.includes(String(field(action, 'action_type')))) continue;
    for (const w of windows) {
      const v = Number(field(action, w) ?? 0);
      if (Number.isFinite(v)) sum += v;
    }
  }
  return sum;
}

const int = (v: unknown) => (v === undefined || v === null ? 0 : Math.round(Number(v)));

function canonicalRow(native: Record<string, unknown>, plan: ReportPlan): CanonicalRow {
  const row: CanonicalRow = { date: String(native.date_start) };
  const text = (v: unknown) => (v === undefined || v === null ? null : String(v));
  for (const d of plan.dimensions) {
    if (d === 'account')
      Object.assign(row, { account_id: text(native.account_id), account_name: text(native.account_name) });
    if (d === 'campaign')
      Object.assign(row, {
        campaign_id: text(native.campaign_id),
        campaign_name: text(native.campaign_name),
      });
    if (d === 'ad_group')
      Object.assign(row, { ad_group_id: text(native.adset_id), ad_group_name: text(native.adset_name) });
    if (d === 'ad') Object.assign(row, { ad_id: text(native.ad_id), ad_name: text(native.ad_name) });
    if (d === 'country') Object.assign(row, { country_id: text(native.country), country_name: null });
    if (d === 'device') Object.assign(row, { device_id: text(native.device_platform), device_name: null });
  }
  const types = plan.conversions.action_types as string[];
  const windows = plan.conversions.attribution_windows as string[];
  for (const m of plan.metrics) {
    if (m === 'spend') row.spend = Number(native.spend ?? 0);
    if (m === 'impressions') row.impressions = int(native.impressions);
    if (m === 'clicks') row.clicks = int(native.inline_link_clicks);
    if (m === 'reach') row.reach = native.reach === undefined ? null : int(native.reach);
    if (m === 'conversions') row.conversions = sumActions(native.actions, types, windows);
    if (m === 'conversion_value') row.conversion_value = sumActions(native.action_values, types, windows);
    if (m === 'video_views')
      row.video_views = sumActions(native.video_play_actions, ['video_view'], ['value']);
  }
  return row;
}

function rowsPage(body: unknown, plan: ReportPlan, jobPrefix = ''): SlicePage {
  const data = field(body, 'data');
  const rows = Array.isArray(data) ? data.map((r) => canonicalRow(r as Record<string, unknown>, plan)) : [];
  const after = field(body, 'paging', 'next') ? field(body, 'paging', 'cursors', 'after') : undefined;
  return { rows, cursor: typeof after === 'string' ? `${jobPrefix}${after}` : undefined };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls a job until Meta completes it, gives up on it (split), or the poll budget runs out (ask again later). */
async function awaitJob(call: OperationCall, runId: string): Promise<'done' | 'failed' | 'running'> {
  const started = Date.now();
  for (let i = 0; ; i++) {
    // Polling a report job is a reporting call too: a timed-out poll is not asked again at once.
    const res = await call.api(
      {
        method: 'GET',
        url: `${api(call)}/${runId}`,
        query: { fields: 'async_status,async_percent_completion' },
      },
      { report: true },
    );
    const status = String(field(res.body, 'async_status') ?? '');
    const percent = Number(field(res.body, 'async_percent_completion') ?? 0);
    if (status === 'Job Completed' && percent >= 100) return 'done';
    if (status === 'Job Failed' || status === 'Job Skipped') return 'failed';
    if (Date.now() - started > POLL_BUDGET_MS) return 'running';
    await sleep(POLL_DELAYS_MS[Math.min(i, POLL_DELAYS_MS.length - 1)]);
  }
}

async function jobPage(
  call: OperationCall,
  plan: ReportPlan,
  runId: string,
  after?: string,
): Promise<SlicePage> {
  // A later page of a job already read is past waiting: the job completed before its first page.
  const state = after ? 'done' : await awaitJob(call, runId);
  if (state === 'failed') return { rows: [], split: true };
  if (state === 'running') {
    return {
      rows: [],
      cursor: `${JOB}${runId}:`,
      warnings: ['Meta is still preparing this part of the report; ask for the next page to continue.'],
    };
  }
  const res = await call.api(
    { method: 'GET', url: `${api(call)}/${runId}/insights`, query: { limit: String(PAGE_LIMIT), after } },
    { report: true },
  );
  return { ...rowsPage(res.body, plan, `${JOB}${runId}:`), here: `${JOB}${runId}:${after ?? ''}` };
}

async function startJob(
  call: OperationCall,
  url: string,
  plan: ReportPlan,
  params: Record<string, string | undefined>,
): Promise<SlicePage> {
  // Starting a job twice only costs a job: safe to retry.
  const res = await call.api({ method: 'POST', url, form: params }, { idempotent: true, report: true });
  const runId = field(res.body, 'report_run_id');
  if (typeof runId !== 'string' || !/^[0-9]{1,32}$/.test(runId)) {
    throw platformRefused('Meta did not start the insights job (no report_run_id).');
  }
  return jobPage(call, plan, runId);
}

export function runsAsJob(plan: ReportPlan, slice: ReportSlice): boolean {
  const weight = LEVEL_WEIGHT[levelOf(plan.dimensions)] * 10 ** breakdownsOf(plan.dimensions).length;
  return dayCount(slice.since, slice.until) * weight > ASYNC_ABOVE;
}

async function page(
  call: OperationCall,
  plan: ReportPlan,
  slice: ReportSlice,
  cursor?: string,
): Promise<SlicePage> {
  const url = `${api(call)}/${plan.account.id}/insights`;
  if (cursor?.startsWith(JOB)) {
    const [runId, after] = cursor.slice(JOB.length).split(':');
    return jobPage(call, plan, runId, after || undefined);
  }
  const params = insightsParams(plan, slice);
  if (!cursor && runsAsJob(plan, slice)) return startJob(call, url, plan, params);
  try {
    const res = await call.api({ method: 'GET', url, query: { ...params, after: cursor } }, { report: true });
    return rowsPage(res.body, plan);
  } catch (err) {
    // Meta's "reduce the amount of data" (code 1): the same slice as a job instead.
    if (
      cursor ||
      !(err instanceof PlatformApiError) ||
      !/reduce the amount of data/i.test(err.failure.message)
    )
      throw err;
    return startJob(call, url, plan, params);
  }
}

export const metaReporter: FamilyReporter = { mapping: metaReportMapping, account, slices, page };
