// The TikTok Ads fake is at least as strict as TikTok API for Business, and its figures agree with themselves.
import { addDays } from './fakes/http';
import { CODES, TikTokAdsFake } from './fakes/tiktokAds';

const APP = {
  clientId: '7000000000000000777',
  clientSecret: 'tt-ads-secret-0123456789',
  redirectUris: ['https://app.example/cb'],
};
const REDIRECT = APP.redirectUris[0];
const EUR = '7301000000000000001';
const JPY = '7301000000000000002';
const NOW = Date.UTC(2026, 10, 20, 12, 0, 0);

type Json = Record<string, unknown>;
interface Envelope<T = Json> {
  code: number;
  message: string;
  request_id: string;
  data: T;
}
interface ReportRow {
  dimensions: Record<string, string>;
  metrics: Record<string, string>;
}
interface ReportData {
  list: ReportRow[];
  page_info: { page: number; page_size: number; total_number: number; total_page: number };
}

let fake: TikTokAdsFake;
let now: number;

beforeEach(async () => {
  now = NOW;
  fake = await TikTokAdsFake.start({ clock: () => now });
  fake.addApp(APP);
});

afterEach(async () => {
  await fake.close();
});

const json = async <T = Json>(res: Response) => (await res.json()) as Envelope<T>;

async function authorize(params: Record<string, string> = {}): Promise<URL> {
  const url = new URL(`${fake.url}/portal/auth`);
  for (const [k, v] of Object.entries({
    app_id: APP.clientId,
    state: 'st-1',
    redirect_uri: REDIRECT,
    ...params,
  }))
    url.searchParams.set(k, v);
  const res = await fetch(url, { redirect: 'manual' });
  expect(res.status).toBe(302);
  return new URL(res.headers.get('location') ?? '');
}

function exchange(body: Json, contentType = 'application/json'): Promise<Response> {
  return fetch(fake.env().CONNECTOR_TIKTOK_ADS_TOKEN_URL, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: JSON.stringify(body),
  });
}

async function connect(): Promise<string> {
  const code = (await authorize()).searchParams.get('auth_code') ?? '';
  const res = await json<{ access_token: string }>(
    await exchange({ app_id: APP.clientId, secret: APP.clientSecret, auth_code: code }),
  );
  return res.data.access_token;
}

function api(pathAndQuery: string, token?: string): Promise<Response> {
  return fetch(`${fake.env().CONNECTOR_TIKTOK_ADS_API_URL}${pathAndQuery}`, {
    headers: token === undefined ? {} : { 'Access-Token': token },
  });
}

function report(token: string, params: Record<string, unknown>): Promise<Response> {
  const q = new URLSearchParams();
  const all: Record<string, unknown> = {
    advertiser_id: EUR,
    report_type: 'BASIC',
    data_level: 'AUCTION_CAMPAIGN',
    dimensions: ['campaign_id'],
    metrics: ['spend', 'impressions'],
    start_date: '2026-11-01',
    end_date: '2026-11-07',
    ...params,
  };
  for (const [k, v] of Object.entries(all)) {
    if (v !== undefined) q.set(k, typeof v === 'string' ? v : JSON.stringify(v));
  }
  return api(`/report/integrated/get/?${q.toString()}`, token);
}

async function allRows(token: string, params: Record<string, unknown>): Promise<ReportRow[]> {
  const rows: ReportRow[] = [];
  for (let page = 1; ; page++) {
    const body = await json<ReportData>(
      await report(token, { ...params, page: String(page), page_size: '1000' }),
    );
    expect(body.code).toBe(0);
    rows.push(...body.data.list);
    if (page >= body.data.page_info.total_page) return rows;
  }
}

describe('authorization and tokens', () => {
  it('sends auth_code (not code) back, exchanges it once within an hour, for a long-term token', async () => {
    const back = await authorize();
    expect(`${back.origin}${back.pathname}`).toBe(REDIRECT);
    expect(back.searchParams.get('state')).toBe('st-1');
    expect(back.searchParams.get('code')).toBeNull();
    const code = back.searchParams.get('auth_code') ?? '';
    expect(code).toMatch(/^[0-9a-f]{40}$/);

    const wrongSecret = await exchange({ app_id: APP.clientId, secret: 'nope', auth_code: code });
    expect(wrongSecret.status).toBe(200);
    expect(await json(wrongSecret)).toEqual({
      code: CODES.noPermission,
      message: expect.any(String),
      request_id: expect.stringMatching(/^20261120120000[0-9A-F]+$/),
      data: {},
    });
    const asForm = await exchange(
      { app_id: APP.clientId, secret: APP.clientSecret, auth_code: code },
      'application/x-www-form-urlencoded',
    );
    expect((await json(asForm)).code).toBe(CODES.invalidParameter);

    const ok = await json<{ access_token: string; advertiser_ids: string[]; scope: number[] }>(
      await exchange({ app_id: APP.clientId, secret: APP.clientSecret, auth_code: code }),
    );
    expect(ok).toEqual({
      code: 0,
      message: 'OK',
      request_id: expect.any(String),
      data: {
        access_token: expect.stringMatching(/^[a-z0-9_-]{20,}$/i),
        advertiser_ids: fake.grantedAdvertisers,
        scope: [1, 2, 3, 4],
      },
    });
    expect(ok.data).not.toHaveProperty('refresh_token');
    expect(ok.data).not.toHaveProperty('expires_in');
    const again = await json(
      await exchange({ app_id: APP.clientId, secret: APP.clientSecret, auth_code: code }),
    );
    expect(again.code).toBe(CODES.invalidParameter);

    const late = (await authorize()).searchParams.get('auth_code') ?? '';
    now += 3600_000;
    expect(
      (await json(await exchange({ app_id: APP.clientId, secret: APP.clientSecret, auth_code: late }))).code,
    ).toBe(CODES.invalidParameter);
    // A year later the long-term token still works.
    now += 365 * 86_400_000;
    expect((await json(await api('/user/info/', ok.data.access_token))).code).toBe(0);
  });

  it('refuses unknown apps and unregistered redirect URIs on the page; a denial redirects with an error', async () => {
    for (const params of [{ app_id: '1' }, { redirect_uri: 'https://evil.example/cb' }]) {
      const url = new URL(`${fake.url}/portal/auth`);
      for (const [k, v] of Object.entries({
        app_id: APP.clientId,
        state: 's',
        redirect_uri: REDIRECT,
        ...params,
      }))
        url.searchParams.set(k, v);
      const res = await fetch(url, { redirect: 'manual' });
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
    }
    fake.denyNextConsent();
    const denied = await authorize();
    expect(denied.searchParams.get('error')).toBe('access_denied');
    expect(denied.searchParams.get('auth_code')).toBeNull();
  });

  it('reads the token from Access-Token only; revocation ends it', async () => {
    const token = await connect();
    expect((await json(await api('/user/info/'))).code).toBe(CODES.tokenMissing);
    const bearer = await fetch(`${fake.env().CONNECTOR_TIKTOK_ADS_API_URL}/user/info/`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect((await json(bearer)).code).toBe(CODES.tokenMissing);
    expect((await json(await api('/user/info/', 'not-a-token'))).code).toBe(CODES.tokenInvalid);
    expect(await json(await api('/user/info/', token))).toMatchObject({
      code: 0,
      data: { core_user_id: fake.user.core_user_id, display_name: fake.user.display_name },
    });
    const revoke = await fetch(fake.env().CONNECTOR_TIKTOK_ADS_REVOKE_URL, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ app_id: APP.clientId, secret: APP.clientSecret, access_token: token }),
    });
    expect((await json(revoke)).code).toBe(0);
    expect((await json(await api('/user/info/', token))).code).toBe(CODES.tokenInvalid);
    fake.expireAccessTokens();
    expect((await json(await api('/user/info/', await connect()))).code).toBe(0);
  });

  it('needs the trailing slash', async () => {
    const token = await connect();
    const res = await api('/user/info', token);
    expect(res.status).toBe(404);
    expect(await res.text()).toBe('404 page not found');
    const tokenUrl = fake.env().CONNECTOR_TIKTOK_ADS_TOKEN_URL.replace(/\/$/, '');
    expect((await fetch(tokenUrl, { method: 'POST' })).status).toBe(404);
  });
});

describe('advertisers', () => {
  it('lists the authorized advertisers with app_id and secret, and their currency and time zone', async () => {
    const token = await connect();
    const q = (secret: string) => `/oauth2/advertiser/get/?app_id=${APP.clientId}&secret=${secret}`;
    expect((await json(await api(q('wrong'), token))).code).toBe(CODES.noPermission);
    const list = await json<{ list: Json[] }>(await api(q(APP.clientSecret), token));
    expect(list.data.list).toEqual(
      fake.advertisers.map((a) => ({ advertiser_id: a.advertiser_id, advertiser_name: a.name })),
    );

    const fields = encodeURIComponent(JSON.stringify(['advertiser_id', 'name', 'currency', 'timezone']));
    const ids = encodeURIComponent(JSON.stringify([EUR, JPY]));
    const info = await json<{ list: Json[] }>(
      await api(`/advertiser/info/?advertiser_ids=${ids}&fields=${fields}`, token),
    );
    expect(info.data.list).toEqual([
      { advertiser_id: EUR, name: 'Supertrack Sandbox EU', currency: 'EUR', timezone: 'Europe/Berlin' },
      { advertiser_id: JPY, name: 'Supertrack Sandbox JP', currency: 'JPY', timezone: 'Asia/Tokyo' },
    ]);
    const stranger = encodeURIComponent(JSON.stringify(['7999999999999999999']));
    expect((await json(await api(`/advertiser/info/?advertiser_ids=${stranger}`, token))).code).toBe(
      CODES.noPermission,
    );
    expect((await json(await api(`/advertiser/info/?advertiser_ids=${EUR}`, token))).code).toBe(
      CODES.invalidParameter,
    );
    const badField = encodeURIComponent(JSON.stringify(['balance_secret']));
    expect(
      (await json(await api(`/advertiser/info/?advertiser_ids=${ids}&fields=${badField}`, token))).code,
    ).toBe(CODES.invalidParameter);
  });
});

describe('report/integrated/get/', () => {
  it('answers strings, pages by page and page_size, and names campaigns at campaign level', async () => {
    const token = await connect();
    const first = await json<ReportData>(
      await report(token, { metrics: ['spend', 'impressions', 'campaign_name', 'cpc'], page_size: '20' }),
    );
    expect(first.code).toBe(0);
    expect(first.data.page_info).toEqual({
      page: 1,
      page_size: 20,
      total_number: expect.any(Number),
      total_page: expect.any(Number),
    });
    expect(first.data.list).toHaveLength(20);
    const row = first.data.list[0];
    expect(Object.keys(row.dimensions)).toEqual(['campaign_id']);
    expect(row.metrics).toEqual({
      spend: expect.stringMatching(/^\d+\.\d{2}$/),
      impressions: expect.stringMatching(/^\d+$/),
      campaign_name: expect.stringMatching(/^Campaign \d\d/),
      cpc: expect.stringMatching(/^(\d+\.\d{2}|-)$/),
    });
    const total = first.data.page_info.total_number;
    const rows = await allRows(token, { metrics: ['spend'] });
    expect(rows).toHaveLength(total);
    expect(new Set(rows.map((r) => r.dimensions.campaign_id)).size).toBe(total);
    const beyond = await json<ReportData>(await report(token, { page: '99', page_size: '20' }));
    expect(beyond.data.list).toEqual([]);
  });

  it('writes "-" where a ratio has no denominator', async () => {
    const token = await connect();
    const rows = await allRows(token, {
      data_level: 'AUCTION_AD',
      dimensions: ['ad_id', 'stat_time_day'],
      metrics: ['conversion', 'cost_per_conversion'],
    });
    const none = rows.find((r) => r.metrics.conversion === '0');
    expect(none?.metrics.cost_per_conversion).toBe('-');
  });

  it('agrees with itself: campaigns sum to the advertiser, days sum to the range, yen without decimals', async () => {
    const token = await connect();
    const range = { start_date: '2026-10-01', end_date: '2026-10-30' };
    const advertiser = await allRows(token, {
      ...range,
      data_level: 'AUCTION_ADVERTISER',
      dimensions: ['advertiser_id'],
      metrics: ['spend', 'clicks', 'reach'],
    });
    expect(advertiser).toHaveLength(1);
    const campaigns = await allRows(token, { ...range, metrics: ['spend', 'clicks', 'reach'] });
    expect(campaigns.length).toBeGreaterThanOrEqual(40);
    const cents = (v: string) => Math.round(Number(v) * 100);
    expect(campaigns.reduce((s, r) => s + cents(r.metrics.spend), 0)).toBe(
      cents(advertiser[0].metrics.spend),
    );
    expect(campaigns.reduce((s, r) => s + Number(r.metrics.clicks), 0)).toBe(
      Number(advertiser[0].metrics.clicks),
    );
    // Reach is de-duplicated, never the sum.
    expect(campaigns.reduce((s, r) => s + Number(r.metrics.reach), 0)).toBeGreaterThan(
      Number(advertiser[0].metrics.reach),
    );

    const daily = await allRows(token, {
      ...range,
      dimensions: ['campaign_id', 'stat_time_day'],
      metrics: ['spend'],
    });
    expect(daily.every((r) => /^2026-10-\d\d 00:00:00$/.test(r.dimensions.stat_time_day))).toBe(true);
    expect(daily.reduce((s, r) => s + cents(r.metrics.spend), 0)).toBe(cents(advertiser[0].metrics.spend));
    expect(Number(advertiser[0].metrics.spend)).toBe(
      fake.expectedFigure({
        advertiserId: EUR,
        metric: 'spend',
        start: range.start_date,
        end: range.end_date,
      }),
    );
    const one = campaigns[0];
    expect(Number(one.metrics.reach)).toBe(
      fake.expectedFigure({
        advertiserId: EUR,
        metric: 'reach',
        start: range.start_date,
        end: range.end_date,
        level: 'campaign',
        id: one.dimensions.campaign_id,
      }),
    );

    const yen = await allRows(token, {
      ...range,
      advertiser_id: JPY,
      data_level: 'AUCTION_ADVERTISER',
      dimensions: ['advertiser_id'],
      metrics: ['spend'],
    });
    expect(yen[0].metrics.spend).toMatch(/^\d+$/);
  });

  it('serves days in the advertiser time zone: Tokyo is a day ahead of Los Angeles', async () => {
    now = Date.UTC(2026, 10, 20, 20, 0, 0); // 05:00 on the 21st in Tokyo, 12:00 on the 20th in Los Angeles
    expect(fake.today(JPY)).toBe('2026-11-21');
    expect(fake.today('7301000000000000003')).toBe('2026-11-20');
    const token = await connect();
    const tokyo = await allRows(token, {
      advertiser_id: JPY,
      data_level: 'AUCTION_ADVERTISER',
      dimensions: ['advertiser_id', 'stat_time_day'],
      start_date: '2026-11-19',
      end_date: '2026-11-22',
    });
    expect(tokyo.map((r) => r.dimensions.stat_time_day.slice(0, 10))).toEqual([
      '2026-11-19',
      '2026-11-20',
      '2026-11-21',
    ]);
  });

  it('refuses what TikTok refuses, with code 40002', async () => {
    const token = await connect();
    const refused: Array<Record<string, unknown>> = [
      { start_date: '2026-10-01', end_date: '2026-10-31', dimensions: ['campaign_id', 'stat_time_day'] }, // 31 days daily
      { start_date: '2026-11-08', end_date: '2026-11-01' },
      { start_date: '2026-11-31' },
      { metrics: ['spend', 'link_clicks'] },
      { metrics: ['ad_name'] }, // an ad attribute at campaign level
      { dimensions: ['adgroup_id'] },
      { dimensions: ['campaign_id', 'country_code'] },
      { data_level: 'CAMPAIGN' },
      { report_type: 'AUDIENCE' },
      { page_size: '1001' },
      { page: '0' },
      { query_lifetime: 'true' },
      { dimensions: 'campaign_id' },
      { advertiser_id: undefined },
      { filtering: [] },
    ];
    for (const params of refused) {
      const body = await json(await report(token, params));
      expect({ params, code: body.code }).toEqual({ params, code: CODES.invalidParameter });
    }
    const lifetime = await json<ReportData>(
      await report(token, { query_lifetime: 'true', start_date: undefined, end_date: undefined }),
    );
    expect(lifetime.code).toBe(0);
    expect((await json(await report(token, { advertiser_id: '7999999999999999999' }))).code).toBe(
      CODES.noPermission,
    );
    // 30 days with daily rows are fine.
    const thirty = {
      start_date: '2026-10-01',
      end_date: addDays('2026-10-01', 29),
      dimensions: ['campaign_id', 'stat_time_day'],
    };
    expect((await json(await report(token, thirty))).code).toBe(0);
  });

  it('answers too-large reports with 40067 and rate limits with 40100', async () => {
    const small = await TikTokAdsFake.start({ clock: () => now, maxReportRows: 100, rateLimitPerMinute: 3 });
    try {
      small.addApp(APP);
      const code = (
        await (async () => {
          const url = new URL(`${small.url}/portal/auth`);
          for (const [k, v] of Object.entries({ app_id: APP.clientId, state: 's', redirect_uri: REDIRECT }))
            url.searchParams.set(k, v);
          return new URL((await fetch(url, { redirect: 'manual' })).headers.get('location') ?? '');
        })()
      ).searchParams.get('auth_code');
      const exchanged = await fetch(small.env().CONNECTOR_TIKTOK_ADS_TOKEN_URL, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ app_id: APP.clientId, secret: APP.clientSecret, auth_code: code }),
      });
      const token = (await json<{ access_token: string }>(exchanged)).data.access_token;
      const q = new URLSearchParams({
        advertiser_id: EUR,
        report_type: 'BASIC',
        data_level: 'AUCTION_CAMPAIGN',
        dimensions: JSON.stringify(['campaign_id', 'stat_time_day']),
        metrics: JSON.stringify(['spend']),
        start_date: '2026-11-01',
        end_date: '2026-11-07',
      });
      const get = () =>
        fetch(`${small.env().CONNECTOR_TIKTOK_ADS_API_URL}/report/integrated/get/?${q}`, {
          headers: { 'Access-Token': token },
        });
      expect((await json(await get())).code).toBe(CODES.queryTooLarge);
      await get();
      await get();
      const limited = await json(await get());
      expect(limited.code).toBe(CODES.tooManyRequests);
      now += 60_000;
      expect((await json(await get())).code).toBe(CODES.queryTooLarge);
    } finally {
      await small.close();
    }
  });

  it('answers queued faults in the envelope', async () => {
    const token = await connect();
    fake.failNext('rate_limit');
    expect(await json(await api('/user/info/', token))).toMatchObject({
      code: CODES.tooManyRequests,
      data: {},
    });
    fake.failNextWithCode(CODES.appRateLimit, /report/);
    expect((await json(await api('/user/info/', token))).code).toBe(0);
    expect((await json(await report(token, {}))).code).toBe(CODES.appRateLimit);
    fake.failNext('server_error');
    const down = await api('/user/info/', token);
    expect(down.status).toBe(200);
    expect((await json(down)).code).toBe(CODES.systemError);
  });
});
