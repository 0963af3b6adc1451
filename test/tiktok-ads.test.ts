// The tiktok_ads connector type end to end through real HTTP: the advertiser authorization with `auth_code` in
// the callback, the JSON token exchange, no refresh (409 refresh_not_supported), advertisers with currency and
// time zone, the native report query paged by next_page, TikTok's envelope codes in the contract's terms,
// configuration verify and revocation on delete.
import { resolveDefinitions } from '../src/platforms/registry/definitions';
import { CODES, TikTokAdsFake } from './fakes/tiktokAds';
import { Api } from './support/api';
import { connectThroughFlow } from './support/connect';
import { startConnectedHost } from './support/connected';
import { TestIssuer } from './support/issuer';
import { RunningHost } from './support/localHost';
import { followAuthorization } from './support/oauthFlow';

const APP = { app_id: '7000000000000000123', secret: 'tiktok-ads-secret-0123456789' };
const EUR = '7301000000000000001';
const JPY = '7301000000000000002';
const WEEK = { start_date: '2026-11-01', end_date: '2026-11-07' };

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

const ops = (path: string, connection = id) => `/v1/connectors/operations/${connection}/${path}`;
const calls = (suffix: string) => fake.stats.requests.filter((r) => r.path.endsWith(suffix)).length;

async function newConnection(): Promise<string> {
  return connectThroughFlow(api, 'tiktok_ads', APP);
}

describe('catalog', () => {
  it('lists tiktok_ads with its capabilities, no refresh and its configuration schema', async () => {
    const res = await api('GET', '/v1/connectors/tiktok_ads');
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual(
      expect.objectContaining({
        type: 'tiktok_ads',
        capabilities: ['oauth', 'verify', 'metadata', 'query', 'message', 'report'],
        oauth: expect.objectContaining({ refresh: 'none' }),
      }),
    );
    expect(res.body.data.schema.properties.secret.writeOnly).toBe(true);
    expect(res.body.data.schema.required).toEqual(['app_id', 'secret']);
    const invalid = await api('POST', '/v1/connectors/TIKTOK_ADS/validate', {
      body: { config: { app_id: 'abc', secret: 'x', advertiser_id: '12a' } },
    });
    expect(invalid.body.data.valid).toBe(false);
    expect(invalid.body.data.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      '/advertiser_id',
      '/app_id',
    ]);
  });
});

describe('API version', () => {
  it('is v1.3 by default, in /health, and CONNECTOR_TIKTOK_ADS_API_VERSION moves the API and token URLs', async () => {
    const health = await api('GET', '/health', { token: null });
    expect(health.body.api_versions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'tiktok_ads', api: 'marketing', version: 'v1.3', sunset: null }),
      ]),
    );
    const byDefault = resolveDefinitions({}).find((d) => d.type === 'tiktok_ads');
    expect(byDefault?.endpoints).toEqual({
      authorize: 'https://business-api.tiktok.com/portal/auth',
      token: 'https://business-api.tiktok.com/open_api/v1.3/oauth2/access_token/',
      revoke: 'https://business-api.tiktok.com/open_api/v1.3/oauth2/revoke_token/',
      api: 'https://business-api.tiktok.com/open_api/v1.3',
    });
    const next = resolveDefinitions({ CONNECTOR_TIKTOK_ADS_API_VERSION: 'v1.4' }).find(
      (d) => d.type === 'tiktok_ads',
    );
    expect(next?.endpoints).toEqual({
      authorize: 'https://business-api.tiktok.com/portal/auth',
      token: 'https://business-api.tiktok.com/open_api/v1.4/oauth2/access_token/',
      revoke: 'https://business-api.tiktok.com/open_api/v1.4/oauth2/revoke_token/',
      api: 'https://business-api.tiktok.com/open_api/v1.4',
    });
  });
});

describe('authorization', () => {
  it('sends the advertiser to the portal page with app_id, state and redirect_uri only', async () => {
    const cfg = await api('POST', '/v1/connectors/configs', {
      body: { name: 'tt ads', connector_type: 'tiktok_ads', config: APP },
    });
    const created = await api('POST', '/v1/connectors/oauth', {
      body: { connector_type: 'tiktok_ads', config_id: cfg.body.data.id },
    });
    expect(created.status).toBe(201);
    const url = new URL(created.body.data.authorization_url);
    expect(`${url.origin}${url.pathname}`).toBe(fake.env().CONNECTOR_TIKTOK_ADS_AUTHORIZE_URL);
    expect([...url.searchParams.keys()].sort()).toEqual(['app_id', 'redirect_uri', 'state']);
    expect(url.searchParams.get('app_id')).toBe(APP.app_id);

    const exchanges = fake.stats.codeExchanges;
    const flow = await followAuthorization(created.body.data.authorization_url);
    expect(new URL(flow.callbackUrl).searchParams.has('auth_code')).toBe(true);
    expect(new URL(flow.callbackUrl).searchParams.has('code')).toBe(false);
    expect(flow.callbackStatus).toBe(200);
    expect(fake.stats.codeExchanges).toBe(exchanges + 1);
    const got = await api('GET', `/v1/connectors/oauth/${created.body.data.id}`);
    expect(got.body.data).toEqual(
      expect.objectContaining({
        status: 'active',
        account_id: fake.user.core_user_id,
        expires_at: null,
        scopes: ['1', '2', '3', '4'],
      }),
    );
    // The auth_code worked once: the same callback again changes nothing.
    const replay = await fetch(flow.callbackUrl, { redirect: 'manual' });
    expect(replay.status).toBe(400);
    expect(fake.stats.codeExchanges).toBe(exchanges + 1);
  });

  it('a refused app secret makes the connection error, not active', async () => {
    fake.addApp({ clientId: '7000000000000000999', clientSecret: 'the-real-secret-0000' });
    const cfg = await api('POST', '/v1/connectors/configs', {
      body: {
        name: 'tt ads wrong',
        connector_type: 'tiktok_ads',
        config: { app_id: '7000000000000000999', secret: 'a-wrong-secret-00000' },
      },
    });
    const created = await api('POST', '/v1/connectors/oauth', {
      body: { connector_type: 'tiktok_ads', config_id: cfg.body.data.id },
    });
    const flow = await followAuthorization(created.body.data.authorization_url);
    expect(flow.callbackStatus).toBe(200);
    const got = await api('GET', `/v1/connectors/oauth/${created.body.data.id}`);
    expect(got.body.data.status).toBe('error');
    expect(got.body.data.last_error).toMatch(/App ID or secret is invalid/);
    expect(JSON.stringify(got.body)).not.toContain('a-wrong-secret');
  });

  it('refresh answers 409 refresh_not_supported and leaves the connection as it is', async () => {
    const before = await api('GET', `/v1/connectors/oauth/${id}`);
    const res = await api('POST', `/v1/connectors/oauth/${id}/refresh`);
    expect(res.status).toBe(409);
    expect(res.body).toEqual({
      error: expect.stringMatching(/cannot be refreshed/),
      code: 'refresh_not_supported',
      metadata: expect.anything(),
    });
    const after = await api('GET', `/v1/connectors/oauth/${id}`);
    expect(after.body.data).toEqual(before.body.data);
  });

  it('test names the person who authorized', async () => {
    const res = await api('POST', `/v1/connectors/oauth/${id}/test`);
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual(
      expect.objectContaining({
        ok: true,
        account: { id: fake.user.core_user_id, name: fake.user.display_name },
      }),
    );
  });
});

describe('configuration verify', () => {
  it('proves app_id and secret with a token exchange that only the code fails', async () => {
    const verify = async (config: Record<string, string>) => {
      const cfg = await api('POST', '/v1/connectors/configs', {
        body: { name: 'verify', connector_type: 'tiktok_ads', config },
      });
      return api('POST', `/v1/connectors/configs/${cfg.body.data.id}/verify`);
    };
    const good = await verify(APP);
    expect(good.status).toBe(200);
    expect(good.body.data.status).toBe('active');
    const bad = await verify({ ...APP, secret: 'wrong-secret-0000000000' });
    expect(bad.body.data.status).toBe('error');
    expect(JSON.stringify(bad.body)).not.toContain('wrong-secret-0000000000');
  });
});

describe('metadata and account', () => {
  it('lists the authorized advertisers with their currency and time zone', async () => {
    const res = await api('GET', ops('metadata'));
    expect(res.status).toBe(200);
    expect(res.body.data.connector_type).toBe('tiktok_ads');
    expect(res.body.data.accounts).toEqual(
      fake.advertisers.map((a) => ({
        id: a.advertiser_id,
        name: a.name,
        kind: 'advertiser',
        currency: a.currency,
        time_zone: a.timezone,
        status: 'STATUS_ENABLE',
      })),
    );
    expect(res.body.data.accounts.find((a: { id: string }) => a.id === JPY)).toMatchObject({
      currency: 'JPY',
      time_zone: 'Asia/Tokyo',
    });
    expect(res.body.data.query_schema.properties.page_size).toEqual(
      expect.objectContaining({ minimum: 1, maximum: 1000 }),
    );
  });

  it('selects an authorized advertiser only', async () => {
    const res = await api('POST', ops('account'), { body: { account_id: JPY } });
    expect(res.status).toBe(200);
    const state = await api('GET', ops('state'), {
      headers: { 'x-session-id': res.body.metadata.session_id },
    });
    expect(state.body.data.account_id).toBe(JPY);
    expect((await api('POST', ops('account'), { body: { account_id: '7999999999999999999' } })).status).toBe(
      400,
    );
  });
});

describe('native query', () => {
  const query = {
    data_level: 'AUCTION_CAMPAIGN',
    dimensions: ['campaign_id', 'stat_time_day'],
    metrics: ['spend', 'impressions', 'campaign_name', 'cost_per_conversion'],
    advertiser_id: EUR,
    page_size: 100,
    ...WEEK,
  };

  it('walks every page with next_page; numbers as numbers, ids as strings, "-" as null', async () => {
    const first = await api('POST', ops('query'), { body: { query } });
    expect(first.status).toBe(200);
    const session = first.body.metadata.session_id;
    const rows: Array<Record<string, unknown>> = [...first.body.data.rows];
    let cursor = first.body.data.next_cursor;
    let pages = 1;
    while (cursor) {
      const next = await api('POST', ops('message'), {
        body: { type: 'next_page' },
        headers: { 'x-session-id': session },
      });
      expect(next.status).toBe(200);
      rows.push(...next.body.data.rows);
      cursor = next.body.data.next_cursor;
      pages++;
    }
    expect(pages).toBeGreaterThan(2);
    expect(new Set(rows.map((r) => `${r.campaign_id}|${r.stat_time_day}`)).size).toBe(rows.length);
    expect(rows[0]).toEqual({
      campaign_id: expect.stringMatching(/^\d{19}$/),
      stat_time_day: expect.stringMatching(/^2026-11-0\d 00:00:00$/),
      spend: expect.any(Number),
      impressions: expect.any(Number),
      campaign_name: expect.any(String),
      cost_per_conversion: expect.anything(),
    });
    expect(rows.some((r) => r.cost_per_conversion === null)).toBe(true);
    const cents = rows.reduce((s, r) => s + Math.round((r.spend as number) * 100), 0);
    const expected = fake.expectedFigure({
      advertiserId: EUR,
      metric: 'spend',
      start: WEEK.start_date,
      end: WEEK.end_date,
    });
    expect(cents).toBe(Math.round((expected ?? NaN) * 100));
  });

  it("uses the session's advertiser, and refuses bad queries before calling TikTok", async () => {
    const selected = await api('POST', ops('account'), { body: { account_id: JPY } });
    const session = selected.body.metadata.session_id;
    const { advertiser_id: _ignored, ...withoutAdvertiser } = query;
    const res = await api('POST', ops('query'), {
      body: {
        query: {
          ...withoutAdvertiser,
          data_level: 'AUCTION_ADVERTISER',
          dimensions: ['advertiser_id'],
          metrics: ['spend'],
        },
      },
      headers: { 'x-session-id': session },
    });
    expect(res.status).toBe(200);
    expect(res.body.data.rows).toEqual([
      expect.objectContaining({ advertiser_id: JPY, spend: expect.any(Number) }),
    ]);

    const before = calls('/report/integrated/get/');
    for (const bad of [
      { ...query, page_size: 1001 },
      { ...query, dimensions: ['campaign_id', 'country_code'] },
      { ...query, metrics: [] },
      { ...query, start_date: '1 Nov' },
      { ...query, start_date: undefined },
      { ...withoutAdvertiser, end_date: undefined, start_date: undefined },
      { ...query, filtering: [] },
    ]) {
      expect((await api('POST', ops('query'), { body: { query: bad } })).status).toBe(400);
    }
    expect(calls('/report/integrated/get/')).toBe(before);
  });
});

describe("TikTok's codes in the contract's terms", () => {
  const query = { dimensions: ['campaign_id'], metrics: ['spend'], advertiser_id: EUR, ...WEEK };
  const run = (connection = id) => api('POST', ops('query', connection), { body: { query } });

  it.each([CODES.tooManyRequests, CODES.advertiserRateLimit, CODES.appRateLimit])(
    'code %d answers 429 with Retry-After',
    async (code) => {
      fake.failNextWithCode(code, /report/);
      const res = await run();
      expect(res.status).toBe(429);
      expect(res.body.code).toBe('platform_rate_limited');
      expect(Number(res.headers.get('retry-after'))).toBe(60);
    },
  );

  it('40067 answers 400 platform_query_too_large; 40002 answers 400; 50000 answers 502', async () => {
    fake.failNextWithCode(CODES.queryTooLarge, /report/);
    const large = await run();
    expect(large.status).toBe(400);
    expect(large.body.code).toBe('platform_query_too_large');
    const invalid = await api('POST', ops('query'), {
      body: { query: { ...query, metrics: ['not_a_tiktok_metric'] } },
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body.code).toBe('platform_rejected_request');
    fake.failNext('server_error', /report/);
    const down = await run();
    expect(down.status).toBe(502);
    expect(down.body.error).toMatch(/code 50000/);
  });

  it.each([CODES.tokenExpired, CODES.tokenMissing, CODES.tokenInvalid])(
    'code %d makes the connection expired: reconnect required, no refresh attempted',
    async (code) => {
      const connection = await newConnection();
      const tokenCalls = calls('/oauth2/access_token/');
      fake.failNextWithCode(code, /report/);
      const res = await run(connection);
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('reconnect_required');
      const got = await api('GET', `/v1/connectors/oauth/${connection}`);
      expect(got.body.data.status).toBe('expired');
      expect(got.body.data.last_error).toMatch(/reconnect/i);
      expect(calls('/oauth2/access_token/')).toBe(tokenCalls);
    },
  );
});

describe('delete', () => {
  it('revokes the long-term token at TikTok', async () => {
    const connection = await newConnection();
    const revocations = fake.stats.revocations;
    const res = await api('DELETE', `/v1/connectors/oauth/${connection}`);
    expect(res.status).toBe(200);
    expect(fake.stats.revocations).toBe(revocations + 1);
    expect(res.body.data).toEqual(expect.objectContaining({ revoked: true }));
  });
});
