// Unified reports on a TikTok Ads connection, checked against the fake's own figures: the same report body
// as the Meta test, daily rows cut into 30-day calls and walked page by page, money in the advertiser's
// currency units (EUR cents, whole yen), dates in its zone, "-" as null (never 0), reach asked of TikTok per
// week and month, the conversion definition and restatable_from, 40067 split by date, rate limits resumed by
// next_page, and what TikTok cannot give (400 naming it).
import { CODES, TikTokAdsFake } from './fakes/tiktokAds';
import { addDays } from './fakes/http';
import { Api } from './support/api';
import { startConnectedHost } from './support/connected';
import { TestIssuer } from './support/issuer';
import { RunningHost } from './support/localHost';

const APP = { app_id: '7000000000000000321', secret: 'tiktok-ads-report-secret-0123456789' };
const EUR = '7301000000000000001'; // Europe/Berlin, 50 campaigns
const JPY = '7301000000000000002'; // Asia/Tokyo, whole yen

let issuer: TestIssuer;
let fake: TikTokAdsFake;
let host: RunningHost;
let api: Api;
let id: string;

beforeAll(async () => {
  fake = await TikTokAdsFake.start();
  fake.addApp({ clientId: APP.app_id, clientSecret: APP.secret });
  ({ issuer, host, api, id } = await startConnectedHost(fake, 'tiktok_ads', APP));
});

afterAll(async () => {
  await host?.stop();
  await fake?.close();
  await issuer?.close();
});

type Row = Record<string, unknown>;
const report = (body: Record<string, unknown>) =>
  api('POST', `/v1/connectors/operations/${id}/query`, { body: { report: body } });

/** Every row of a report, following next_page; the first answer and the number of answers. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the first answer's JSON, read loosely
async function allRows(body: Record<string, unknown>): Promise<{ rows: Row[]; pages: number; first: any }> {
  let res = await report(body);
  const first = res.body;
  const session = res.body.metadata.session_id;
  const rows: Row[] = [];
  let pages = 0;
  for (;;) {
    expect({ status: res.status, error: res.body.error }).toEqual({ status: 200, error: undefined });
    rows.push(...res.body.data.rows);
    pages += 1;
    if (!res.body.data.next_cursor) return { rows, pages, first };
    res = await api('POST', `/v1/connectors/operations/${id}/message`, {
      body: { type: 'next_page' },
      headers: { 'x-session-id': session },
    });
  }
}

const days = (start: string, end: string) => {
  const out: string[] = [];
  for (let d = start; d <= end; d = addDays(d, 1)) out.push(d);
  return out;
};

describe('the same report body against the fake’s figures', () => {
  it('answers daily campaign rows in 30-day calls, with units, currency and the advertiser’s time zone', async () => {
    const today = fake.today(EUR);
    const since = addDays(today, -50);
    const until = addDays(today, -6); // 45 days: two calls of at most 30 days, each several pages
    const calls = fake.reportLog.length;
    const { rows, pages, first } = await allRows({
      account_id: EUR,
      metrics: ['spend', 'impressions', 'clicks', 'conversions', 'conversion_value', 'ctr', 'roas'],
      dimensions: ['date', 'campaign'],
      date_range: { start: since, end: until },
      time_increment: 'day',
    });
    expect(first.data.report).toEqual({
      platform: 'tiktok_ads',
      account_id: EUR,
      currency: 'EUR',
      time_zone: 'Europe/Berlin',
      date_range: { start: since, end: until },
      time_increment: 'day',
      conversions: { event: 'conversion', attribution_window_days: 7 },
      // TikTok may still credit conversions to the last 7 days (its default attribution window).
      restatable_from: addDays(today, -7),
      warnings: [],
    });
    // What TikTok was asked: daily BASIC campaign reports of at most 30 days, in pages of 1,000.
    const asked = fake.reportLog.slice(calls);
    expect(new Set(asked.map((q) => `${q.start_date}..${q.end_date}`))).toEqual(
      new Set([`${since}..${addDays(since, 29)}`, `${addDays(since, 30)}..${until}`]),
    );
    for (const q of asked) {
      expect(q).toEqual(
        expect.objectContaining({
          advertiser_id: EUR,
          report_type: 'BASIC',
          data_level: 'AUCTION_CAMPAIGN',
          dimensions: '["campaign_id","stat_time_day"]',
          page_size: '1000',
        }),
      );
      expect(JSON.parse(q.metrics)).toEqual(
        expect.arrayContaining(['spend', 'impressions', 'clicks', 'conversion', 'campaign_name']),
      );
    }
    // 1,500 rows in the first 30 days (two TikTok pages), 750 in the rest (one).
    expect(asked.map((q) => q.page)).toEqual(['1', '2', '1']);
    expect(pages).toBeGreaterThanOrEqual(2);

    const campaigns = fake.advertiser(EUR).campaigns;
    const want = (metric: string, campaign: string, day: string) =>
      fake.expectedFigure({
        advertiserId: EUR,
        metric,
        start: day,
        end: day,
        level: 'campaign',
        id: campaign,
      });
    const expectedKeys: string[] = [];
    for (const c of campaigns) {
      for (const day of days(since, until))
        if ((want('impressions', c.campaign_id, day) ?? 0) > 0) expectedKeys.push(`${day}|${c.campaign_id}`);
      // Seconds of figures in one go would block the event loop past the host's keep-alive: let timers run.
      await new Promise((r) => setImmediate(r));
    }
    expect(rows).toHaveLength(expectedKeys.length);
    const byKey = new Map(rows.map((r) => [`${String(r.date)}|${String(r.campaign_id)}`, r]));
    expect(byKey.size).toBe(rows.length);
    let untracked = 0;
    for (const [i, key] of expectedKeys.entries()) {
      if (i % 50 === 0) await new Promise((r) => setImmediate(r));
      const [day, campaign] = key.split('|');
      const row = byKey.get(key);
      const seeded = campaigns.find((c) => c.campaign_id === campaign);
      const spend = want('spend', campaign, day) ?? NaN;
      const impressions = want('impressions', campaign, day) ?? NaN;
      const clicks = want('clicks', campaign, day) ?? NaN;
      const conversions = want('conversion', campaign, day);
      const value = want('total_complete_payment_rate', campaign, day);
      expect(row).toEqual({
        platform: 'tiktok_ads',
        account_id: EUR,
        currency: 'EUR',
        date: day,
        campaign_id: campaign,
        campaign_name: seeded?.campaign_name,
        spend,
        impressions,
        clicks,
        conversions,
        conversion_value: value,
        ctr: expect.closeTo(clicks / impressions, 5),
        roas: value === null ? null : spend > 0 ? expect.closeTo(value / spend, 5) : null,
      });
      expect(Number.isInteger(row?.impressions)).toBe(true);
      if (!seeded?.conversion_tracking) {
        // TikTok's "-": not available, so null, never 0; and nothing derived from it.
        untracked += 1;
        expect([row?.conversions, row?.conversion_value, row?.roas]).toEqual([null, null, null]);
      }
    }
    expect(untracked).toBeGreaterThan(0);
  });

  it('says restatable_from by the attribution window, and counts the event report.conversions names', async () => {
    const today = fake.today(EUR);
    const since = addDays(today, -20);
    const until = addDays(today, -2);
    const byDefault = await report({
      account_id: EUR,
      metrics: ['conversions'],
      date_range: { start: since, end: until },
    });
    expect(byDefault.status).toBe(200);
    expect(byDefault.body.data.report.restatable_from).toBe(addDays(today, -7));
    expect(byDefault.body.data.rows).toEqual([
      expect.objectContaining({
        conversions: fake.expectedFigure({
          advertiserId: EUR,
          metric: 'conversion',
          start: since,
          end: until,
        }),
      }),
    ]);

    const purchases = await report({
      account_id: EUR,
      metrics: ['conversions', 'conversion_value'],
      date_range: { start: since, end: until },
      conversions: { event: 'complete_payment', attribution_window_days: 28 },
    });
    expect(purchases.status).toBe(200);
    expect(purchases.body.data.report.conversions).toEqual({
      event: 'complete_payment',
      attribution_window_days: 28,
    });
    expect(purchases.body.data.report.restatable_from).toBe(since);
    const figure = (metric: string) =>
      fake.expectedFigure({ advertiserId: EUR, metric, start: since, end: until });
    expect(purchases.body.data.rows[0]).toEqual(
      expect.objectContaining({
        conversions: figure('complete_payment'),
        conversion_value: figure('total_complete_payment_rate'),
      }),
    );
    const refused = await report({
      account_id: EUR,
      metrics: ['conversions'],
      date_range: { start: since, end: until },
      conversions: { event: 'likes', attribution_window_days: 3 },
    });
    expect(refused.status).toBe(400);
  });

  it('gives the yen advertiser east of UTC in whole yen, its own zone and currency', async () => {
    const today = fake.today(JPY);
    const since = addDays(today, -12);
    const until = addDays(today, -5);
    const { rows, first } = await allRows({
      account_id: JPY,
      metrics: ['spend', 'impressions', 'video_views'],
      dimensions: ['date', 'account'],
      date_range: { start: since, end: until },
    });
    expect(first.data.report).toEqual(
      expect.objectContaining({ currency: 'JPY', time_zone: 'Asia/Tokyo', account_id: JPY }),
    );
    const figure = (metric: string, day: string) =>
      fake.expectedFigure({ advertiserId: JPY, metric, start: day, end: day });
    expect(rows).toEqual(
      days(since, until).map((day) => ({
        platform: 'tiktok_ads',
        account_id: JPY,
        account_name: fake.advertiser(JPY).name,
        currency: 'JPY',
        date: day,
        spend: figure('spend', day),
        impressions: figure('impressions', day),
        video_views: figure('video_play_actions', day),
      })),
    );
    expect(rows.every((r) => Number.isInteger(r.spend))).toBe(true);
  });

  it('reports ads with their ad group and campaign, from the ad level', async () => {
    const today = fake.today(JPY);
    const day = addDays(today, -3);
    const { rows } = await allRows({
      account_id: JPY,
      metrics: ['clicks'],
      dimensions: ['campaign', 'ad_group', 'ad'],
      date_range: { start: day, end: day },
    });
    const ads = fake
      .advertiser(JPY)
      .campaigns.flatMap((c) => c.adgroups.flatMap((g) => g.ads.map((ad) => ({ c, g, ad }))));
    expect(rows).toHaveLength(ads.length);
    for (const { c, g, ad } of ads) {
      expect(rows.find((r) => r.ad_id === ad.ad_id)).toEqual({
        platform: 'tiktok_ads',
        account_id: JPY,
        currency: 'JPY',
        campaign_id: c.campaign_id,
        campaign_name: c.campaign_name,
        ad_group_id: g.adgroup_id,
        ad_group_name: g.adgroup_name,
        ad_id: ad.ad_id,
        ad_name: ad.ad_name,
        clicks: fake.expectedFigure({
          advertiserId: JPY,
          metric: 'clicks',
          start: day,
          end: day,
          level: 'ad',
          id: ad.ad_id,
        }),
      });
    }
  });
});

describe('reach is never summed', () => {
  it('asks TikTok for each week and each month (it has no week or month dimension)', async () => {
    const today = fake.today(EUR);
    let start = addDays(today, -40);
    while (new Date(`${start}T00:00:00Z`).getUTCDay() !== 3) start = addDays(start, -1); // a Wednesday
    const end = addDays(start, 18); // a Sunday
    const calls = fake.reportLog.length;
    const res = await report({
      account_id: EUR,
      metrics: ['reach', 'impressions'],
      dimensions: ['date'],
      date_range: { start, end },
      time_increment: 'week',
    });
    expect(res.status).toBe(200);
    const monday = addDays(start, -2);
    const figure = (metric: string, s: string, u: string) =>
      fake.expectedFigure({ advertiserId: EUR, metric, start: s, end: u });
    expect(res.body.data.rows.map((r: Row) => [r.date, r.reach, r.impressions])).toEqual([
      [monday, figure('reach', start, addDays(monday, 6)), figure('impressions', start, addDays(monday, 6))],
      [addDays(monday, 7), figure('reach', addDays(monday, 7), addDays(monday, 13)), expect.any(Number)],
      [addDays(monday, 14), figure('reach', addDays(monday, 14), end), expect.any(Number)],
    ]);
    // One call per week, without a time dimension.
    const asked = fake.reportLog.slice(calls);
    expect(asked.map((q) => [q.start_date, q.end_date, q.dimensions])).toEqual([
      [start, addDays(monday, 6), '["advertiser_id"]'],
      [addDays(monday, 7), addDays(monday, 13), '["advertiser_id"]'],
      [addDays(monday, 14), end, '["advertiser_id"]'],
    ]);
    const dailySum = days(addDays(monday, 7), addDays(monday, 13)).reduce(
      (s, d) => s + (figure('reach', d, d) ?? 0),
      0,
    );
    expect(res.body.data.rows[1].reach).toBeLessThan(dailySum);
    expect(res.body.data.report.warnings.join(' ')).toMatch(/first week/);

    const months = await report({
      account_id: EUR,
      metrics: ['reach'],
      dimensions: ['date'],
      date_range: { start: '2026-09-15', end: '2026-10-31' },
      time_increment: 'month',
    });
    expect(months.body.data.rows).toEqual([
      expect.objectContaining({ date: '2026-09-01', reach: figure('reach', '2026-09-15', '2026-09-30') }),
      expect.objectContaining({ date: '2026-10-01', reach: figure('reach', '2026-10-01', '2026-10-31') }),
    ]);
  });
});

describe('TikTok’s limits are the service’s problem', () => {
  it('splits a slice TikTok finds too large (40067) by date, and still answers every row once', async () => {
    const today = fake.today(EUR);
    const since = addDays(today, -16);
    const until = addDays(today, -3);
    const body = {
      account_id: EUR,
      metrics: ['spend'],
      dimensions: ['date', 'ad_group'],
      date_range: { start: since, end: until },
    };
    const plain = await allRows(body);
    const calls = fake.reportLog.length;
    fake.failNextWithCode(CODES.queryTooLarge, /report/);
    const split = await allRows(body);
    const asked = fake.reportLog.slice(calls);
    const mid = addDays(since, 6);
    expect(asked.map((q) => [q.start_date, q.end_date])).toEqual(
      expect.arrayContaining([
        [since, mid],
        [addDays(mid, 1), until],
      ]),
    );
    expect(split.rows).toHaveLength(plain.rows.length);
    const key = (r: Row) => `${String(r.date)}|${String(r.ad_group_id)}`;
    expect(new Set(split.rows.map(key)).size).toBe(split.rows.length);
    expect(split.rows.map(key).sort()).toEqual(plain.rows.map(key).sort());
  });

  it('answers a rate limit with 429 and Retry-After, and next_page resumes where it stopped', async () => {
    const today = fake.today(EUR);
    const body = {
      account_id: EUR,
      metrics: ['impressions'],
      dimensions: ['date', 'campaign'],
      date_range: { start: addDays(today, -40), end: addDays(today, -2) },
    };
    const first = await report(body);
    expect(first.status).toBe(200);
    const session = first.body.metadata.session_id;
    const rows: Row[] = [...first.body.data.rows];
    const next = () =>
      api('POST', `/v1/connectors/operations/${id}/message`, {
        body: { type: 'next_page' },
        headers: { 'x-session-id': session },
      });
    fake.failNextWithCode(CODES.appRateLimit, /report/);
    const limited = await next();
    expect(limited.status).toBe(429);
    expect(limited.body.code).toBe('platform_rate_limited');
    expect(limited.headers.get('retry-after')).toBe('60');
    for (let res = await next(); ; res = await next()) {
      expect(res.status).toBe(200);
      rows.push(...res.body.data.rows);
      if (!res.body.data.next_cursor) break;
    }
    const key = (r: Row) => `${String(r.date)}|${String(r.campaign_id)}`;
    expect(new Set(rows.map(key)).size).toBe(rows.length);
    const total = rows.reduce((s, r) => s + (r.impressions as number), 0);
    expect(total).toBe(
      fake.expectedFigure({
        advertiserId: EUR,
        metric: 'impressions',
        start: body.date_range.start,
        end: body.date_range.end,
      }),
    );
  });

  it('refuses what TikTok cannot give, naming it and the type, before calling TikTok', async () => {
    const calls = fake.reportLog.length;
    for (const [body, name] of [
      [{ metrics: ['spend'], dimensions: ['country'], date_preset: 'last_7d' }, /dimension country/],
      [{ metrics: ['spend'], dimensions: ['device'], date_preset: 'last_7d' }, /dimension device/],
    ] as const) {
      const res = await report({ account_id: EUR, ...body });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('unsupported_field');
      expect(res.body.error).toMatch(/tiktok_ads/);
      expect(res.body.error).toMatch(name);
    }
    const today = fake.today(EUR);
    const long = await report({
      account_id: EUR,
      metrics: ['reach'],
      date_range: { start: addDays(today, -400), end: addDays(today, -1) },
      time_increment: 'all',
    });
    expect(long.status).toBe(400);
    expect(long.body.code).toBe('range_too_long');
    expect(long.body.error).toMatch(/365 days/);
    expect(fake.reportLog.length).toBe(calls);
  });
});
