// Unified reports on a Google Ads connection, checked against the fake's own figures: spend from micros,
// dates in the customer's zone (segments.date / week / month), Google's fixed pages walked by next_page,
// a client reached through its manager, the conversion source, and what Google cannot give (400).
import { GoogleFake } from './fakes/google';
import { addDays, isoDay } from './fakes/http';
import { Api, apiClient } from './support/api';
import { connectThroughFlow } from './support/connect';
import { startTestIssuer, TEST_AUDIENCE, TestIssuer } from './support/issuer';
import { RunningHost, startHost } from './support/localHost';

const APP = { client_id: 'rep-ads.apps.googleusercontent.com', client_secret: 'gads-rep-secret-0123456789' };
const CLIENT_A = '2345678901'; // USD, New York, only through the manager; 27 campaigns
const CLIENT_B = '3456789012'; // EUR, Berlin, direct; 3 campaigns

let issuer: TestIssuer;
let google: GoogleFake;
let host: RunningHost;
let api: Api;
let id: string;

beforeAll(async () => {
  issuer = await startTestIssuer();
  // Google's pages are a fixed 10,000 rows; the fake's 100, so a report here takes several.
  google = await GoogleFake.start({ adsPageSize: 100 });
  google.addApp({ clientId: APP.client_id, clientSecret: APP.client_secret });
  host = await startHost({
    env: { AUTH_AUDIENCE: TEST_AUDIENCE, AUTH_AUTHORITY: issuer.url, ...google.env() },
  });
  api = apiClient(host.api, await issuer.token());
  id = await connectThroughFlow(api, 'google_ads', APP);
});

afterAll(async () => {
  await host?.stop();
  await google?.close();
  await issuer?.close();
});

type Row = Record<string, unknown>;
const report = (body: Record<string, unknown>, headers?: Record<string, string>) =>
  api('POST', `/v1/connectors/operations/${id}/query`, { body: { report: body }, headers });
const today = () => isoDay(Date.now());
const since = addDays(today(), -12);
const until = addDays(today(), -3);

/** Every row of a report, following next_page. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the first answer's JSON, read loosely
async function allRows(body: Record<string, unknown>): Promise<{ rows: Row[]; pages: number; first: any }> {
  let res = await report(body);
  const first = res.body;
  const session = res.body.metadata.session_id;
  const rows: Row[] = [];
  let pages = 0;
  for (;;) {
    expect(res.status).toBe(200);
    rows.push(...res.body.data.rows);
    pages += 1;
    if (!res.body.data.next_cursor) return { rows, pages, first };
    res = await api('POST', `/v1/connectors/operations/${id}/message`, {
      body: { type: 'next_page' },
      headers: { 'x-session-id': session },
    });
  }
}

describe('the same report body against the fake’s figures', () => {
  it('converts micros to currency units and keeps the customer’s dates, zone and currency', async () => {
    const { rows, first } = await allRows({
      account_id: CLIENT_B,
      metrics: ['spend', 'impressions', 'clicks', 'conversions', 'conversion_value', 'cpc'],
      dimensions: ['date', 'campaign'],
      date_range: { start: since, end: until },
    });
    expect(first.data.report).toEqual(
      expect.objectContaining({
        platform: 'google_ads',
        account_id: CLIENT_B,
        currency: 'EUR',
        time_zone: 'Europe/Berlin',
        conversions: { source: 'conversions' },
      }),
    );
    const expected = google.expectedSearch(
      CLIENT_B,
      `SELECT campaign.id, campaign.name, segments.date, metrics.cost_micros, metrics.impressions, metrics.clicks, metrics.conversions, metrics.conversions_value FROM campaign WHERE segments.date BETWEEN '${since}' AND '${until}'`,
    );
    expect(rows).toHaveLength(expected.length);
    for (const native of expected as Array<Record<string, Record<string, unknown>>>) {
      const row = rows.find((r) => r.date === native.segments.date && r.campaign_id === native.campaign.id);
      const spend = Number(native.metrics.costMicros) / 1e6;
      const clicks = Number(native.metrics.clicks);
      expect(row).toEqual({
        platform: 'google_ads',
        account_id: CLIENT_B,
        currency: 'EUR',
        date: native.segments.date,
        campaign_id: native.campaign.id,
        campaign_name: native.campaign.name,
        spend,
        impressions: Number(native.metrics.impressions),
        clicks,
        conversions: native.metrics.conversions,
        conversion_value: native.metrics.conversionsValue,
        cpc: clicks > 0 ? expect.closeTo(spend / clicks, 5) : null,
      });
    }
    const open = first.data.report.restatable_from;
    expect(open).toBe(since > addDays(today(), -30) ? since : addDays(today(), -30));
  });

  it('walks Google’s fixed pages for a client behind its manager, in that client’s zone and currency', async () => {
    const { rows, pages, first } = await allRows({
      account_id: CLIENT_A,
      metrics: ['spend', 'clicks'],
      dimensions: ['date', 'ad_group'],
      date_range: { start: since, end: until },
    });
    expect(first.data.report).toEqual(
      expect.objectContaining({ currency: 'USD', time_zone: 'America/New_York' }),
    );
    const expected = google.expectedSearch(
      CLIENT_A,
      `SELECT campaign.id, ad_group.id, segments.date, metrics.cost_micros FROM ad_group WHERE segments.date BETWEEN '${since}' AND '${until}'`,
    ) as Array<Record<string, Record<string, unknown>>>;
    expect(pages).toBeGreaterThan(1);
    expect(rows).toHaveLength(expected.length);
    const total = (list: number[]) => Math.round(list.reduce((a, b) => a + b, 0) * 100) / 100;
    expect(total(rows.map((r) => r.spend as number))).toBe(
      total(expected.map((n) => Number(n.metrics.costMicros) / 1e6)),
    );
    expect(new Set(rows.map((r) => `${String(r.date)}|${String(r.ad_group_id)}`)).size).toBe(rows.length);
  });

  it('answers weeks as Google’s own segments.week and months as segments.month', async () => {
    const start = addDays(today(), -45);
    const end = addDays(today(), -2);
    for (const [increment, segment] of [
      ['week', 'segments.week'],
      ['month', 'segments.month'],
    ]) {
      const res = await report({
        account_id: CLIENT_B,
        metrics: ['impressions'],
        dimensions: ['date'],
        date_range: { start, end },
        time_increment: increment,
      });
      expect(res.status).toBe(200);
      const expected = google.expectedSearch(
        CLIENT_B,
        `SELECT ${segment}, metrics.impressions FROM customer WHERE segments.date BETWEEN '${start}' AND '${end}'`,
      ) as Array<Record<string, Record<string, unknown>>>;
      const key = segment.split('.')[1];
      expect(res.body.data.rows.map((r: Row) => [r.date, r.impressions])).toEqual(
        expected.map((n) => [n.segments[key], Number(n.metrics.impressions)]),
      );
    }
  });

  it('counts all conversions when report.conversions says so', async () => {
    const res = await report({
      account_id: CLIENT_B,
      metrics: ['conversions'],
      date_range: { start: since, end: until },
      conversions: { source: 'all_conversions' },
    });
    expect(res.status).toBe(200);
    const [native] = google.expectedSearch(
      CLIENT_B,
      `SELECT metrics.all_conversions FROM customer WHERE segments.date BETWEEN '${since}' AND '${until}'`,
    ) as Array<Record<string, Record<string, unknown>>>;
    expect(res.body.data.rows[0].conversions).toBe(native.metrics.allConversions);
    expect(res.body.data.report.conversions).toEqual({ source: 'all_conversions' });
  });

  it('answers ads from ad_group_ad with their ad group and campaign, adding up to the ad group', async () => {
    const { rows } = await allRows({
      account_id: CLIENT_B,
      metrics: ['spend', 'clicks'],
      dimensions: ['date', 'campaign', 'ad_group', 'ad'],
      date_range: { start: since, end: until },
    });
    const expected = google.expectedSearch(
      CLIENT_B,
      `SELECT campaign.id, campaign.name, ad_group.id, ad_group.name, ad_group_ad.ad.id, ad_group_ad.ad.name, segments.date, metrics.cost_micros, metrics.clicks FROM ad_group_ad WHERE segments.date BETWEEN '${since}' AND '${until}'`,
    ) as Array<Record<string, Record<string, unknown>>>;
    expect(expected.length).toBeGreaterThan(0);
    expect(rows).toHaveLength(expected.length);
    for (const native of expected) {
      const ad = (native.adGroupAd as Record<string, Record<string, unknown>>).ad;
      const row = rows.find((r) => r.date === native.segments.date && r.ad_id === ad.id);
      expect(row).toEqual({
        platform: 'google_ads',
        account_id: CLIENT_B,
        currency: 'EUR',
        date: native.segments.date,
        campaign_id: native.campaign.id,
        campaign_name: native.campaign.name,
        ad_group_id: native.adGroup.id,
        ad_group_name: native.adGroup.name,
        ad_id: ad.id,
        ad_name: ad.name,
        spend: Number(native.metrics.costMicros) / 1e6,
        clicks: Number(native.metrics.clicks),
      });
    }
    // The ads of an ad group add up to the ad group's own figure that day.
    const groups = google.expectedSearch(
      CLIENT_B,
      `SELECT ad_group.id, segments.date, metrics.cost_micros FROM ad_group WHERE segments.date BETWEEN '${since}' AND '${until}'`,
    ) as Array<Record<string, Record<string, unknown>>>;
    for (const g of groups) {
      const micros = rows
        .filter((r) => r.date === g.segments.date && r.ad_group_id === g.adGroup.id)
        .reduce((a, r) => a + Math.round((r.spend as number) * 1e6), 0);
      expect(micros).toBe(Number(g.metrics.costMicros));
    }
  });

  it('answers countries as ISO codes from geographic_view, where people were, adding up to the campaign', async () => {
    const { rows } = await allRows({
      account_id: CLIENT_B,
      metrics: ['spend', 'impressions'],
      dimensions: ['date', 'campaign', 'country'],
      date_range: { start: since, end: until },
    });
    const expected = google.expectedSearch(
      CLIENT_B,
      `SELECT campaign.id, campaign.name, geographic_view.country_criterion_id, segments.date, metrics.cost_micros, metrics.impressions FROM geographic_view WHERE geographic_view.location_type = 'LOCATION_OF_PRESENCE' AND segments.date BETWEEN '${since}' AND '${until}'`,
    ) as Array<Record<string, Record<string, unknown>>>;
    // Google's own ids → ISO codes, as geo_target_constant tells them.
    const codes = new Map(
      (
        google.expectedSearch(
          CLIENT_B,
          'SELECT geo_target_constant.id, geo_target_constant.country_code FROM geo_target_constant',
        ) as Array<Record<string, Record<string, unknown>>>
      ).map((g) => [g.geoTargetConstant.id, g.geoTargetConstant.countryCode]),
    );
    expect(expected.length).toBeGreaterThan(0);
    expect(rows).toHaveLength(expected.length);
    expect(new Set(rows.map((r) => r.country_id))).toEqual(new Set(['DE', 'AT', 'CH', 'FR']));
    for (const native of expected) {
      const country = codes.get(native.geographicView.countryCriterionId);
      const row = rows.find(
        (r) =>
          r.date === native.segments.date && r.campaign_id === native.campaign.id && r.country_id === country,
      );
      expect(row).toEqual({
        platform: 'google_ads',
        account_id: CLIENT_B,
        currency: 'EUR',
        date: native.segments.date,
        campaign_id: native.campaign.id,
        campaign_name: native.campaign.name,
        country_id: country,
        country_name: expect.any(String),
        spend: Number(native.metrics.costMicros) / 1e6,
        impressions: Number(native.metrics.impressions),
      });
    }
    // Countries add up to the campaign's own figure that day (areas of interest are not counted twice).
    const campaigns = google.expectedSearch(
      CLIENT_B,
      `SELECT campaign.id, segments.date, metrics.cost_micros, metrics.impressions FROM campaign WHERE segments.date BETWEEN '${since}' AND '${until}'`,
    ) as Array<Record<string, Record<string, unknown>>>;
    for (const c of campaigns) {
      const mine = rows.filter((r) => r.date === c.segments.date && r.campaign_id === c.campaign.id);
      expect(mine.reduce((a, r) => a + Math.round((r.spend as number) * 1e6), 0)).toBe(
        Number(c.metrics.costMicros),
      );
      expect(mine.reduce((a, r) => a + (r.impressions as number), 0)).toBe(Number(c.metrics.impressions));
    }
  });

  it('refuses what Google does not report, naming it and the type', async () => {
    for (const body of [
      { metrics: ['reach'], date_preset: 'last_7d' },
      { metrics: ['cpm', 'reach'], date_preset: 'last_7d' },
      { metrics: ['spend'], dimensions: ['ad', 'country'], date_preset: 'last_7d' },
    ]) {
      const res = await report({ account_id: CLIENT_B, ...body });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('unsupported_field');
      expect(res.body.error).toMatch(/google_ads/);
      expect(res.body.error).toMatch(body.dimensions ? /country/ : /metric reach/);
    }
  });
});
