// Unified reports on a LinkedIn connection, checked against the fake's own figures: cost in the account's
// currency, landing-page clicks, days in UTC, reach asked per week, the 15,000-element cap met by splitting
// the range (and a warning when one day alone reaches it), and what LinkedIn cannot give (400).
import { addDays, isoDay } from './fakes/http';
import { LinkedInFake } from './fakes/linkedin';
import { Api } from './support/api';
import { startConnectedHost } from './support/connected';
import { TestIssuer } from './support/issuer';
import { RunningHost } from './support/localHost';

const APP = { client_id: 'liReportClient', client_secret: 'linkedin-report-secret-0123456789' };

let issuer: TestIssuer;
let linkedin: LinkedInFake;
let host: RunningHost;
let api: Api;
let id: string;

beforeAll(async () => {
  linkedin = await LinkedInFake.start({ largeAccounts: true });
  linkedin.addApp({ clientId: APP.client_id, clientSecret: APP.client_secret });
  ({ issuer, host, api, id } = await startConnectedHost(linkedin, 'linkedin', APP));
});

afterAll(async () => {
  await host?.stop();
  await linkedin?.close();
  await issuer?.close();
});

type Row = Record<string, unknown>;
const report = (body: Record<string, unknown>) =>
  api('POST', `/v1/connectors/operations/${id}/query`, { body: { report: body } });
const today = () => isoDay(Date.now());
const since = addDays(today(), -10);
const until = addDays(today(), -4);
const urnId = (e: Row) =>
  String((e.pivotValues as string[])[0])
    .split(':')
    .pop();
const dayOf = (e: Row) => {
  const d = (e.dateRange as { start: { year: number; month: number; day: number } }).start;
  return `${d.year}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;
};

async function allPages(body: Record<string, unknown>): Promise<{ rows: Row[]; warnings: string[] }> {
  let res = await report(body);
  const session = res.body.metadata.session_id;
  const rows: Row[] = [];
  const warnings: string[] = [];
  for (;;) {
    expect(res.status).toBe(200);
    rows.push(...res.body.data.rows);
    warnings.push(...res.body.data.report.warnings);
    if (!res.body.data.next_cursor) return { rows, warnings };
    res = await api('POST', `/v1/connectors/operations/${id}/message`, {
      body: { type: 'next_page' },
      headers: { 'x-session-id': session },
    });
  }
}

describe('the same report body against the fake’s figures', () => {
  it('answers campaign groups per day in UTC, cost in the account currency', async () => {
    const res = await report({
      account_id: '5001',
      metrics: ['spend', 'impressions', 'clicks', 'conversions', 'conversion_value', 'cpm'],
      dimensions: ['date', 'campaign'],
      date_range: { start: since, end: until },
    });
    expect(res.status).toBe(200);
    expect(res.body.data.report).toEqual(
      expect.objectContaining({
        platform: 'linkedin',
        account_id: '5001',
        currency: 'USD',
        time_zone: 'UTC',
        conversions: { fields: ['externalWebsiteConversions'] },
      }),
    );
    const expected = linkedin.expectedElements('5001', 'CAMPAIGN_GROUP', 'DAILY', since, until, [
      'dateRange',
      'pivotValues',
      'costInLocalCurrency',
      'impressions',
      'landingPageClicks',
      'externalWebsiteConversions',
      'conversionValueInLocalCurrency',
    ]);
    const rows: Row[] = res.body.data.rows;
    expect(rows).toHaveLength(expected.length);
    for (const e of expected) {
      const row = rows.find((r) => r.date === dayOf(e) && r.campaign_id === urnId(e));
      const spend = Number(e.costInLocalCurrency);
      expect(row).toEqual({
        platform: 'linkedin',
        account_id: '5001',
        currency: 'USD',
        date: dayOf(e),
        campaign_id: urnId(e),
        campaign_name: null,
        spend,
        impressions: e.impressions,
        clicks: e.landingPageClicks,
        conversions: e.externalWebsiteConversions,
        conversion_value: Number(e.conversionValueInLocalCurrency),
        cpm: expect.closeTo((spend / Number(e.impressions)) * 1000, 5),
      });
    }
  });

  it('gives the EUR account in euros, and sums the conversion fields report.conversions names', async () => {
    const res = await report({
      account_id: '5002',
      metrics: ['spend', 'conversions'],
      date_range: { start: since, end: until },
      conversions: { fields: ['externalWebsitePostClickConversions', 'externalWebsitePostViewConversions'] },
    });
    expect(res.status).toBe(200);
    const [e] = linkedin.expectedElements('5002', 'ACCOUNT', 'ALL', since, until, [
      'costInLocalCurrency',
      'externalWebsitePostClickConversions',
      'externalWebsitePostViewConversions',
    ]);
    expect(res.body.data.rows).toEqual([
      {
        platform: 'linkedin',
        account_id: '5002',
        currency: 'EUR',
        spend: Number(e.costInLocalCurrency),
        conversions:
          Number(e.externalWebsitePostClickConversions) + Number(e.externalWebsitePostViewConversions),
      },
    ]);
  });

  it('asks LinkedIn for each week’s reach instead of adding days', async () => {
    let monday = addDays(today(), -28);
    while (new Date(`${monday}T00:00:00Z`).getUTCDay() !== 1) monday = addDays(monday, -1);
    const res = await report({
      account_id: '5001',
      metrics: ['reach'],
      dimensions: ['date'],
      date_range: { start: monday, end: addDays(monday, 13) },
      time_increment: 'week',
    });
    expect(res.status).toBe(200);
    const week = (start: string) =>
      linkedin.expectedElements('5001', 'ACCOUNT', 'ALL', start, addDays(start, 6), [
        'approximateMemberReach',
      ])[0];
    const days = linkedin.expectedElements('5001', 'ACCOUNT', 'DAILY', monday, addDays(monday, 6), [
      'approximateMemberReach',
    ]);
    expect(res.body.data.rows.map((r: Row) => [r.date, r.reach])).toEqual([
      [monday, week(monday).approximateMemberReach],
      [addDays(monday, 7), week(addDays(monday, 7)).approximateMemberReach],
    ]);
    const summed = days.reduce((s, d) => s + Number(d.approximateMemberReach), 0);
    expect(res.body.data.rows[0].reach).toBeLessThan(summed);
  });

  it('refuses what LinkedIn does not report, naming it and the type', async () => {
    const country = await report({
      account_id: '5001',
      metrics: ['spend'],
      dimensions: ['country'],
      date_preset: 'last_7d',
    });
    expect(country.status).toBe(400);
    expect(country.body.error).toMatch(/linkedin.*dimension country/);
    const two = await report({
      account_id: '5001',
      metrics: ['spend'],
      dimensions: ['campaign', 'ad'],
      date_preset: 'last_7d',
    });
    expect(two.status).toBe(400);
    expect(two.body.code).toBe('unsupported_field');
  });
});

describe('the 15,000-element cap', () => {
  it('splits a range whose answer LinkedIn would cut, so no row is lost', async () => {
    // 30 days (one slice) of 600 campaigns: 18,000 elements, which LinkedIn would cut at 15,000.
    const start = addDays(today(), -30);
    const end = addDays(today(), -1);
    const truncatedBefore = linkedin.analyticsStats.truncated;
    const { rows, warnings } = await allPages({
      account_id: '5003',
      metrics: ['impressions'],
      dimensions: ['date', 'ad_group'],
      date_range: { start, end },
    });
    expect(linkedin.analyticsStats.truncated).toBeGreaterThan(truncatedBefore);
    const expected = linkedin.expectedElements('5003', 'CAMPAIGN', 'DAILY', start, end, ['impressions']);
    expect(expected.length).toBeGreaterThan(15_000);
    expect(rows).toHaveLength(expected.length);
    const sum = (list: unknown[]) => list.reduce((s: number, v) => s + Number(v), 0);
    expect(sum(rows.map((r) => r.impressions))).toBe(sum(expected.map((e) => e.impressions)));
    expect(warnings).toEqual([]);
  });

  it('warns when one day alone reaches the cap', async () => {
    const day = addDays(today(), -3);
    const res = await report({
      account_id: '5004',
      metrics: ['impressions'],
      dimensions: ['date', 'ad_group'],
      date_range: { start: day, end: day },
    });
    expect(res.status).toBe(200);
    expect(res.body.data.rows).toHaveLength(15_000);
    expect(res.body.data.report.warnings.join(' ')).toMatch(/cap of 15000 elements/);
  });
});
