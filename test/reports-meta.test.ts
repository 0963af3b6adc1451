// Unified reports on a Meta connection, checked against the fake's own figures: link clicks, conversions of
// the configured action types and windows, money in account currency, reach asked per bucket, dates in the
// account's zone, restatement, asynchronous jobs (and their failure), paging.
import { META_SEED, MetaFake } from './fakes/meta';
import { addDays, isoDay } from './fakes/http';
import { Api } from './support/api';
import { startConnectedHost } from './support/connected';
import { TestIssuer } from './support/issuer';
import { RunningHost } from './support/localHost';

const APP = { app_id: '4444444555', app_secret: 'meta-report-secret-0123456789' };
const USD = `act_${META_SEED.adAccounts[0].accountId}`;
const EUR = `act_${META_SEED.adAccounts[1].accountId}`;
const TYPES = [
  'offsite_conversion.fb_pixel_purchase',
  'offsite_conversion.fb_pixel_lead',
  'offsite_conversion.fb_pixel_custom',
  'onsite_conversion.purchase',
  'onsite_conversion.lead_grouped',
];

let issuer: TestIssuer;
let meta: MetaFake;
let host: RunningHost;
let api: Api;
let id: string;

beforeAll(async () => {
  meta = await MetaFake.start();
  meta.addApp({ clientId: APP.app_id, clientSecret: APP.app_secret });
  ({ issuer, host, api, id } = await startConnectedHost(meta, 'meta', APP));
});

afterAll(async () => {
  await host?.stop();
  await meta?.close();
  await issuer?.close();
});

const report = (body: Record<string, unknown>, headers?: Record<string, string>) =>
  api('POST', `/v1/connectors/operations/${id}/query`, { body: { report: body }, headers });

type Row = Record<string, unknown>;

/** What Meta's own answer says a canonical metric is, for one native row. */
function canonical(native: Row, windows = ['7d_click', '1d_view'], types = TYPES) {
  const sum = (list: unknown) =>
    (Array.isArray(list) ? (list as Row[]) : [])
      .filter((a) => types.includes(String(a.action_type)))
      .reduce((s, a) => s + windows.reduce((t, w) => t + Number(a[w] ?? 0), 0), 0);
  return {
    spend: Number(native.spend),
    impressions: Number(native.impressions),
    clicks: Number(native.inline_link_clicks),
    reach: Number(native.reach),
    conversions: sum(native.actions),
    conversion_value: Math.round(sum(native.action_values) * 100) / 100,
  };
}

const today = () => isoDay(Date.now());
const FIELDS = 'campaign_id,campaign_name,spend,impressions,inline_link_clicks,reach,actions,action_values';

describe('the same report body against the fake’s figures', () => {
  const since = addDays(today(), -20);
  const until = addDays(today(), -14);

  it('answers daily campaign rows with units, currency and the account’s time zone', async () => {
    const res = await report({
      account_id: USD,
      metrics: ['spend', 'impressions', 'clicks', 'conversions', 'conversion_value', 'ctr', 'roas'],
      dimensions: ['date', 'campaign'],
      date_range: { start: since, end: until },
      time_increment: 'day',
    });
    expect(res.status).toBe(200);
    const { rows, report: info } = res.body.data;
    expect(info).toEqual(
      expect.objectContaining({
        platform: 'meta',
        account_id: USD,
        currency: 'USD',
        time_zone: 'America/Los_Angeles',
        date_range: { start: since, end: until },
        conversions: { action_types: TYPES, attribution_windows: ['7d_click', '1d_view'] },
      }),
    );
    const expected = meta.expectedInsights(USD, {
      fields: FIELDS,
      level: 'campaign',
      time_range: JSON.stringify({ since, until }),
      time_increment: '1',
      action_attribution_windows: '["7d_click","1d_view"]',
    });
    expect(rows).toHaveLength(expected.length);
    for (const native of expected) {
      const row = rows.find((r: Row) => r.date === native.date_start && r.campaign_id === native.campaign_id);
      const want = canonical(native);
      expect(row).toEqual({
        platform: 'meta',
        account_id: USD,
        currency: 'USD',
        date: native.date_start,
        campaign_id: native.campaign_id,
        campaign_name: native.campaign_name,
        spend: want.spend,
        impressions: want.impressions,
        clicks: want.clicks,
        conversions: want.conversions,
        conversion_value: expect.closeTo(want.conversion_value, 6),
        ctr: expect.closeTo(want.clicks / want.impressions, 5),
        roas: expect.closeTo(want.conversion_value / want.spend, 5),
      });
      expect(Number.isInteger(row.impressions)).toBe(true);
    }
    // Insights go to the Marketing API version (CONNECTOR_META_ADS_API_VERSION), not the Graph one.
    const insights = meta.stats.requests.filter((r) => r.path.endsWith('/insights'));
    expect(insights.length).toBeGreaterThan(0);
    expect(insights.every((r) => !r.path.startsWith(`/${meta.version}/`))).toBe(true);
  });

  it('says restatable_from: Meta may change the last 28 days', async () => {
    const recent = await report({
      account_id: USD,
      metrics: ['spend'],
      date_range: { start: addDays(today(), -40), end: addDays(today(), -2) },
    });
    const open = recent.body.data.report.restatable_from;
    expect(open >= addDays(today(), -29) && open <= addDays(today(), -27)).toBe(true);
    const old = await report({
      account_id: USD,
      metrics: ['spend'],
      date_range: { start: addDays(today(), -80), end: addDays(today(), -60) },
    });
    expect(old.body.data.report.restatable_from).toBeNull();
  });

  it('gives the non-USD account east of UTC in its own currency and zone', async () => {
    const res = await report({
      account_id: EUR,
      metrics: ['spend', 'impressions'],
      dimensions: ['date'],
      date_range: { start: since, end: until },
    });
    expect(res.status).toBe(200);
    expect(res.body.data.report).toEqual(
      expect.objectContaining({ currency: 'EUR', time_zone: 'Europe/Berlin', account_id: EUR }),
    );
    const expected = meta.expectedInsights(EUR, {
      fields: 'spend,impressions',
      level: 'account',
      time_range: JSON.stringify({ since, until }),
      time_increment: '1',
    });
    expect(res.body.data.rows.map((r: Row) => [r.date, r.currency, r.spend])).toEqual(
      expected.map((n) => [n.date_start, 'EUR', Number(n.spend)]),
    );
  });

  it('uses the conversion definition the report names', async () => {
    const types = ['offsite_conversion.fb_pixel_lead'];
    const res = await report({
      account_id: USD,
      metrics: ['conversions'],
      date_range: { start: since, end: until },
      conversions: { action_types: types, attribution_windows: ['28d_click'] },
    });
    expect(res.status).toBe(200);
    expect(res.body.data.report.conversions).toEqual({
      action_types: types,
      attribution_windows: ['28d_click'],
    });
    const [native] = meta.expectedInsights(USD, {
      fields: 'actions',
      level: 'account',
      time_range: JSON.stringify({ since, until }),
      action_attribution_windows: '["28d_click"]',
    });
    expect(res.body.data.rows[0].conversions).toBe(canonical(native, ['28d_click'], types).conversions);
    const removed = await report({
      account_id: USD,
      metrics: ['conversions'],
      date_range: { start: since, end: until },
      conversions: { attribution_windows: ['28d_view'] },
    });
    expect(removed.status).toBe(400);
  });
});

describe('breakdowns: country and device', () => {
  const since = addDays(today(), -12);
  const until = addDays(today(), -6);

  it('answers daily rows by country (ISO alpha-2) from breakdowns=country, each the fake’s own figure', async () => {
    const res = await report({
      account_id: USD,
      metrics: ['spend', 'impressions', 'clicks', 'reach'],
      dimensions: ['date', 'country'],
      date_range: { start: since, end: until },
    });
    expect(res.status).toBe(200);
    const expected = meta.expectedInsights(USD, {
      fields: 'account_id,account_name,spend,impressions,inline_link_clicks,reach',
      level: 'account',
      time_range: JSON.stringify({ since, until }),
      time_increment: '1',
      breakdowns: 'country',
    });
    expect(expected.length).toBeGreaterThan(7);
    const rows: Row[] = res.body.data.rows;
    expect(rows).toHaveLength(expected.length);
    for (const native of expected) {
      const row = rows.find((r) => r.date === native.date_start && r.country_id === native.country);
      expect(row).toEqual({
        platform: 'meta',
        account_id: USD,
        currency: 'USD',
        date: native.date_start,
        country_id: expect.stringMatching(/^[A-Z]{2}$/),
        country_name: null,
        spend: Number(native.spend),
        impressions: Number(native.impressions),
        clicks: Number(native.inline_link_clicks),
        reach: Number(native.reach),
      });
    }
  });

  it('answers campaign rows by device from breakdowns=device_platform over the whole range', async () => {
    const res = await report({
      account_id: EUR,
      metrics: ['spend', 'impressions', 'cpm'],
      dimensions: ['campaign', 'device'],
      date_range: { start: since, end: until },
    });
    expect(res.status).toBe(200);
    expect(res.body.data.report).toEqual(
      expect.objectContaining({ currency: 'EUR', time_zone: 'Europe/Berlin', time_increment: 'all' }),
    );
    const expected = meta.expectedInsights(EUR, {
      fields: 'account_id,account_name,campaign_id,campaign_name,spend,impressions',
      level: 'campaign',
      time_range: JSON.stringify({ since, until }),
      time_increment: 'all_days',
      breakdowns: 'device_platform',
    });
    const rows: Row[] = res.body.data.rows;
    expect(rows).toHaveLength(expected.length);
    expect(new Set(rows.map((r) => r.device_id))).toEqual(new Set(expected.map((n) => n.device_platform)));
    for (const native of expected) {
      const row = rows.find(
        (r) => r.campaign_id === native.campaign_id && r.device_id === native.device_platform,
      );
      const spend = Number(native.spend);
      const impressions = Number(native.impressions);
      expect(row).toEqual({
        platform: 'meta',
        account_id: EUR,
        currency: 'EUR',
        campaign_id: native.campaign_id,
        campaign_name: native.campaign_name,
        device_id: native.device_platform,
        device_name: null,
        spend,
        impressions,
        cpm: impressions > 0 ? expect.closeTo((spend / impressions) * 1000, 4) : null,
      });
    }
  });
});

describe('reach is never summed', () => {
  it('asks Meta for each week (weeks start Monday; a mid-week start is a partial first week)', async () => {
    // A Wednesday three weeks back, to the Sunday two weeks later.
    let start = addDays(today(), -30);
    while (new Date(`${start}T00:00:00Z`).getUTCDay() !== 3) start = addDays(start, -1);
    const end = addDays(start, 18); // a Sunday
    const res = await report({
      account_id: USD,
      metrics: ['reach', 'impressions'],
      dimensions: ['date'],
      date_range: { start, end },
      time_increment: 'week',
    });
    expect(res.status).toBe(200);
    const rows: Row[] = res.body.data.rows;
    const monday = addDays(start, -2);
    expect(rows.map((r) => r.date)).toEqual([monday, addDays(monday, 7), addDays(monday, 14)]);
    const weekFigure = (s: string, u: string) =>
      meta.expectedInsights(USD, {
        fields: 'reach,impressions',
        level: 'account',
        time_range: JSON.stringify({ since: s, until: u }),
      })[0];
    expect(rows[0].reach).toBe(Number(weekFigure(start, addDays(monday, 6)).reach));
    expect(rows[1].reach).toBe(Number(weekFigure(addDays(monday, 7), addDays(monday, 13)).reach));
    const daily = meta.expectedInsights(USD, {
      fields: 'reach',
      level: 'account',
      time_range: JSON.stringify({ since: addDays(monday, 7), until: addDays(monday, 13) }),
      time_increment: '1',
    });
    const summed = daily.reduce((s, r) => s + Number(r.reach), 0);
    expect(rows[1].reach).toBeLessThan(summed);
    expect(res.body.data.report.warnings.join(' ')).toMatch(/first week/);
  });
});

describe('asynchronous jobs and paging', () => {
  it('runs a large report as a job, splits a failed job by date, and pages to the end', async () => {
    const since = addDays(today(), -60);
    const until = addDays(today(), -1);
    const started = meta.jobStats.started;
    meta.failNextJobs(1);
    const rows: Row[] = [];
    let res = await report({
      account_id: USD,
      metrics: ['spend', 'clicks'],
      dimensions: ['date', 'ad'],
      date_range: { start: since, end: until },
    });
    const session = res.body.metadata.session_id;
    for (let i = 0; i < 50; i++) {
      expect(res.status).toBe(200);
      rows.push(...res.body.data.rows);
      if (!res.body.data.next_cursor) break;
      res = await api('POST', `/v1/connectors/operations/${id}/message`, {
        body: { type: 'next_page', cursor: res.body.data.next_cursor },
        headers: { 'x-session-id': session },
      });
    }
    expect(meta.jobStats.failed).toBeGreaterThanOrEqual(1);
    // One job failed, so its range went again as two jobs.
    expect(meta.jobStats.started - started).toBe(3);
    const expected = meta.expectedInsights(USD, {
      fields: 'ad_id,spend,inline_link_clicks',
      level: 'ad',
      time_range: JSON.stringify({ since, until }),
      time_increment: '1',
    });
    expect(rows).toHaveLength(expected.length);
    const key = (d: unknown, ad: unknown) => `${String(d)}|${String(ad)}`;
    const byKey = new Map(rows.map((r) => [key(r.date, r.ad_id), r]));
    for (const native of expected) {
      const row = byKey.get(key(native.date_start, native.ad_id));
      expect(row?.spend).toBe(Number(native.spend));
      expect(row?.clicks).toBe(Number(native.inline_link_clicks));
    }
  });

  it('pages a job’s result by report.limit without starting the job again', async () => {
    const since = addDays(today(), -40);
    const until = addDays(today(), -11);
    const started = meta.jobStats.started;
    const rows: Row[] = [];
    let res = await report({
      account_id: USD,
      metrics: ['impressions'],
      dimensions: ['date', 'ad'],
      date_range: { start: since, end: until },
      limit: 100,
    });
    const session = res.body.metadata.session_id;
    for (let i = 0; i < 50; i++) {
      expect(res.status).toBe(200);
      expect(res.body.data.rows.length).toBeLessThanOrEqual(100);
      rows.push(...res.body.data.rows);
      if (!res.body.data.next_cursor) break;
      res = await api('POST', `/v1/connectors/operations/${id}/message`, {
        body: { type: 'next_page' },
        headers: { 'x-session-id': session },
      });
    }
    expect(meta.jobStats.started - started).toBe(1);
    const expected = meta.expectedInsights(USD, {
      fields: 'ad_id,impressions',
      level: 'ad',
      time_range: JSON.stringify({ since, until }),
      time_increment: '1',
    });
    expect(rows).toHaveLength(expected.length);
    expect(new Set(rows.map((r) => `${String(r.date)}|${String(r.ad_id)}`)).size).toBe(expected.length);
  });

  it('answers 400 for a metric no type knows and for a date range backwards', async () => {
    const unknown = await report({ metrics: ['likes'], date_preset: 'last_7d', account_id: USD });
    expect(unknown.status).toBe(400);
    const backwards = await report({
      account_id: USD,
      metrics: ['spend'],
      date_range: { start: today(), end: addDays(today(), -3) },
    });
    expect(backwards.status).toBe(400);
    const tooOld = await report({
      account_id: USD,
      metrics: ['spend'],
      date_range: { start: '2020-01-01', end: '2020-01-31' },
    });
    expect(tooOld.status).toBe(400);
    expect(tooOld.body.code).toBe('beyond_retention');
  });
});
