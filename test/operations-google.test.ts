// Operations on Google Ads and YouTube connections through real HTTP: customers (with the client behind a
// manager), GAQL paging by next_page with login-customer-id, campaign status changes, YouTube Analytics
// reports paged by startIndex, video updates that keep tags and language, platform failures, token expiry.
import { GOOGLE_SEED, GoogleFake } from './fakes/google';
import { Api, apiClient } from './support/api';
import { connectThroughFlow } from './support/connect';
import { startTestIssuer, TEST_AUDIENCE, TestIssuer } from './support/issuer';
import { RunningHost, startHost } from './support/localHost';

const DEV_TOKEN = 'ops-dev-token-0123456789';
const ADS_APP = {
  client_id: 'ops-ads.apps.googleusercontent.com',
  client_secret: 'gads-ops-secret-0123456789',
};
const YT_APP = {
  client_id: 'ops-yt.apps.googleusercontent.com',
  client_secret: 'yt-ops-secret-0123456789',
};
const MANAGER = '1234567890';
const CLIENT_A = '2345678901'; // reachable only through the manager; 27 campaigns
const CLIENT_B = '3456789012'; // reachable directly; 3 campaigns
const CLOSED = '4567890123'; // behind the manager, cancelled
const CHANNEL = GOOGLE_SEED.channel.id;
const CAMPAIGN_QUERY =
  'SELECT campaign.id, campaign.name, campaign.status, metrics.clicks, metrics.impressions, metrics.cost_micros ' +
  'FROM campaign WHERE segments.date DURING LAST_30_DAYS ORDER BY campaign.id';

let issuer: TestIssuer;
let google: GoogleFake;
let host: RunningHost;
let api: Api;
let ads: string;
let yt: string;

beforeAll(async () => {
  issuer = await startTestIssuer();
  // Google before the developer-token sunset: the header is required and checked, so every call that
  // works proves it was sent.
  google = await GoogleFake.start({ developerTokens: [DEV_TOKEN] });
  google.addApp({ clientId: ADS_APP.client_id, clientSecret: ADS_APP.client_secret });
  google.addApp({ clientId: YT_APP.client_id, clientSecret: YT_APP.client_secret });
  host = await startHost({
    env: { AUTH_AUTHORITY: issuer.url, AUTH_AUDIENCE: TEST_AUDIENCE, ...google.env() },
  });
  api = apiClient(host.api, await issuer.token());
  ads = await connectThroughFlow(api, 'google_ads', { ...ADS_APP, developer_token: DEV_TOKEN });
  yt = await connectThroughFlow(api, 'youtube', YT_APP);
});

afterAll(async () => {
  await host?.stop();
  await google?.close();
  await issuer?.close();
});

const ops = (connection: string, path: string) => `/v1/connectors/operations/${connection}/${path}`;
const withSession = (session: string) => ({ headers: { 'x-session-id': session } });
const callsTo = (pattern: RegExp) => google.stats.requests.filter((r) => pattern.test(r.path)).length;

describe('Google Ads: metadata and account', () => {
  it('lists the direct customers and the clients behind the manager, with manager_id', async () => {
    const res = await api('GET', ops(ads, 'metadata'));
    expect(res.status).toBe(200);
    const accounts = res.body.data.accounts;
    expect(accounts).toEqual(
      expect.arrayContaining([
        {
          id: MANAGER,
          name: 'Supertrack Sandbox MCC',
          kind: 'customer',
          manager: true,
          status: 'ENABLED',
          active: true,
        },
        expect.objectContaining({ id: CLIENT_B, kind: 'customer', manager: false, active: true }),
        {
          id: CLIENT_A,
          name: 'Sandbox Client A',
          kind: 'customer',
          manager: false,
          status: 'ENABLED',
          active: true,
          manager_id: MANAGER,
        },
        expect.objectContaining({ id: CLOSED, status: 'CANCELED', active: false, manager_id: MANAGER }),
      ]),
    );
    expect(accounts).toHaveLength(4);
    // Client B is reached directly: it needs no login-customer-id even though it sits under the manager.
    expect(accounts.find((a: { id: string }) => a.id === CLIENT_B).manager_id).toBeUndefined();
    expect(res.body.data.query_schema).toEqual(expect.objectContaining({ required: ['gaql'] }));
    expect(Object.keys(res.body.data.execute_operations)).toEqual(['update_campaign_status']);
    expect(JSON.stringify(res.body)).not.toMatch(/ya29|developer|refresh/i);
  });

  it('sets the active account only to one of the connection’s customers', async () => {
    const res = await api('POST', ops(ads, 'account'), { body: { account_id: CLIENT_A } });
    expect(res.status).toBe(200);
    expect(res.body.data.account).toEqual(expect.objectContaining({ id: CLIENT_A, manager_id: MANAGER }));
    const state = await api('GET', ops(ads, 'state'), withSession(res.body.metadata.session_id));
    expect(state.body.data.account_id).toBe(CLIENT_A);
    expect((await api('POST', ops(ads, 'account'), { body: { account_id: '9999999999' } })).status).toBe(400);
    expect((await api('POST', ops(ads, 'account'), { body: { account_id: '123/../x' } })).status).toBe(400);
  });
});

describe('Google Ads: GAQL', () => {
  it('walks every page of a report on the session’s client exactly once, rows flattened', async () => {
    const selected = await api('POST', ops(ads, 'account'), { body: { account_id: CLIENT_A } });
    const session = selected.body.metadata.session_id;
    const first = await api('POST', ops(ads, 'query'), {
      body: { query: { gaql: CAMPAIGN_QUERY } },
      ...withSession(session),
    });
    expect(first.status).toBe(200);
    expect(first.body.data.rows).toHaveLength(10);
    const row = first.body.data.rows[0];
    expect(row).toEqual(
      expect.objectContaining({
        'campaign.id': expect.any(String),
        'campaign.name': expect.any(String),
        'campaign.status': expect.any(String),
        'metrics.clicks': expect.any(Number),
        'metrics.impressions': expect.any(Number),
        'metrics.cost_micros': expect.any(Number),
      }),
    );
    expect(row['campaign.resource_name']).toBe(`customers/${CLIENT_A}/campaigns/${row['campaign.id']}`);
    const rows = [...first.body.data.rows];
    let cursor = first.body.data.next_cursor;
    expect(cursor).toMatch(/^cur_/);
    const discoveries = callsTo(/listAccessibleCustomers/);
    while (cursor) {
      const next = await api('POST', ops(ads, 'message'), {
        body: { type: 'next_page', cursor },
        ...withSession(session),
      });
      expect(next.status).toBe(200);
      rows.push(...next.body.data.rows);
      cursor = next.body.data.next_cursor;
    }
    expect(rows).toHaveLength(27);
    const ids = rows.map((r) => r['campaign.id']);
    expect(new Set(ids).size).toBe(27);
    expect(ids).toEqual(GOOGLE_SEED.campaigns.filter((c) => c.customerId === CLIENT_A).map((c) => c.id));
    // Later pages go straight to the client with the manager's login-customer-id: no rediscovery.
    expect(callsTo(/listAccessibleCustomers/)).toBe(discoveries);
    const done = await api('POST', ops(ads, 'message'), {
      body: { type: 'next_page' },
      ...withSession(session),
    });
    expect(done.status).toBe(409);
    const state = await api('GET', ops(ads, 'state'), withSession(session));
    expect(JSON.stringify(state.body)).not.toMatch(/pageToken|"t":/);
    expect(state.body.data.last_query).toEqual({ gaql: CAMPAIGN_QUERY });
  });

  it('next_page stays on the query’s customer when the session’s account changes', async () => {
    const selected = await api('POST', ops(ads, 'account'), { body: { account_id: CLIENT_A } });
    const session = selected.body.metadata.session_id;
    const first = await api('POST', ops(ads, 'query'), {
      body: { query: { gaql: CAMPAIGN_QUERY } },
      ...withSession(session),
    });
    await api('POST', ops(ads, 'account'), { body: { account_id: CLIENT_B }, ...withSession(session) });
    const next = await api('POST', ops(ads, 'message'), {
      body: { type: 'next_page', cursor: first.body.data.next_cursor },
      ...withSession(session),
    });
    expect(next.status).toBe(200);
    expect(next.body.data.rows[0]['campaign.resource_name']).toMatch(new RegExp(`^customers/${CLIENT_A}/`));
  });

  it('customer_id names another customer than the session’s; without either the query is refused', async () => {
    const selected = await api('POST', ops(ads, 'account'), { body: { account_id: CLIENT_A } });
    const session = selected.body.metadata.session_id;
    const res = await api('POST', ops(ads, 'query'), {
      body: { query: { gaql: CAMPAIGN_QUERY, customer_id: CLIENT_B } },
      ...withSession(session),
    });
    expect(res.status).toBe(200);
    expect(res.body.data.rows).toHaveLength(3);
    expect(res.body.data.next_cursor).toBeNull();
    const none = await api('POST', ops(ads, 'query'), { body: { query: { gaql: CAMPAIGN_QUERY } } });
    expect(none.status).toBe(400);
    expect(none.body.error).toMatch(/customer/i);
  });

  it('a bad GAQL answers 400 with Google’s message; hostile or malformed input never reaches Google', async () => {
    const bad = await api('POST', ops(ads, 'query'), {
      body: { query: { gaql: 'SELECT campaign.nope FROM campaign', customer_id: CLIENT_B } },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/Unrecognized field in the query: 'campaign.nope'/);
    const before = google.stats.apiCalls;
    for (const query of [
      { gaql: CAMPAIGN_QUERY, customer_id: '123/../x' },
      { gaql: CAMPAIGN_QUERY, customer_id: '234-567-8901' },
      { gaql: 'DELETE FROM campaign', customer_id: CLIENT_B },
      { gaql: CAMPAIGN_QUERY, customer_id: CLIENT_B, pageSize: 5 },
      { customer_id: CLIENT_B },
    ]) {
      const res = await api('POST', ops(ads, 'query'), { body: { query } });
      expect(res.status).toBe(400);
    }
    expect(google.stats.apiCalls).toBe(before);
  });
});

describe('Google Ads: execute', () => {
  const target = GOOGLE_SEED.campaigns.find((c) => c.customerId === CLIENT_A && c.status === 'ENABLED')!;
  const statusOf = async (session: string) => {
    const res = await api('POST', ops(ads, 'query'), {
      body: {
        query: { gaql: `SELECT campaign.id, campaign.status FROM campaign WHERE campaign.id = ${target.id}` },
      },
      ...withSession(session),
    });
    expect(res.status).toBe(200);
    return res.body.data.rows[0]['campaign.status'];
  };

  it('pauses and re-enables a campaign of the client behind the manager, seen by later searches', async () => {
    const selected = await api('POST', ops(ads, 'account'), { body: { account_id: CLIENT_A } });
    const session = selected.body.metadata.session_id;
    expect(await statusOf(session)).toBe('ENABLED');
    const paused = await api('POST', ops(ads, 'execute'), {
      body: { operation: 'update_campaign_status', params: { campaign_id: target.id, status: 'PAUSED' } },
      ...withSession(session),
    });
    expect(paused.status).toBe(200);
    expect(paused.body.data).toEqual({
      operation: 'update_campaign_status',
      result: { resource_name: `customers/${CLIENT_A}/campaigns/${target.id}`, status: 'PAUSED' },
    });
    expect(await statusOf(session)).toBe('PAUSED');
    const enabled = await api('POST', ops(ads, 'execute'), {
      body: {
        operation: 'update_campaign_status',
        params: { customer_id: CLIENT_A, campaign_id: target.id, status: 'ENABLED' },
      },
    });
    expect(enabled.status).toBe(200);
    expect(google.campaigns.find((c) => c.id === target.id)?.status).toBe('ENABLED');
  });

  it('refuses bad params and hostile ids; an unknown campaign answers Google’s 400', async () => {
    const before = google.stats.apiCalls;
    for (const params of [
      { customer_id: CLIENT_A, campaign_id: '1/../2', status: 'PAUSED' },
      { customer_id: '123/../x', campaign_id: target.id, status: 'PAUSED' },
      { customer_id: CLIENT_A, campaign_id: target.id, status: 'REMOVED' },
      { customer_id: CLIENT_A, status: 'PAUSED' },
    ]) {
      const res = await api('POST', ops(ads, 'execute'), {
        body: { operation: 'update_campaign_status', params },
      });
      expect(res.status).toBe(400);
    }
    expect(google.stats.apiCalls).toBe(before);
    const unknown = await api('POST', ops(ads, 'execute'), {
      body: {
        operation: 'update_campaign_status',
        params: { customer_id: CLIENT_B, campaign_id: '99999', status: 'PAUSED' },
      },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatch(/not found/);
  });
});

describe('Google Ads: configuration', () => {
  it('a configured login_customer_id is sent first, so a client behind it needs no discovery', async () => {
    const withLogin = await connectThroughFlow(api, 'google_ads', {
      ...ADS_APP,
      developer_token: DEV_TOKEN,
      login_customer_id: MANAGER,
    });
    const before = callsTo(/listAccessibleCustomers/);
    const res = await api('POST', ops(withLogin, 'query'), {
      body: { query: { gaql: CAMPAIGN_QUERY, customer_id: CLIENT_A } },
    });
    expect(res.status).toBe(200);
    expect(res.body.data.rows).toHaveLength(10);
    expect(callsTo(/listAccessibleCustomers/)).toBe(before);
    // Client B is reached directly and sits under the manager too: the configured login works for it.
    const b = await api('POST', ops(withLogin, 'query'), {
      body: { query: { gaql: CAMPAIGN_QUERY, customer_id: CLIENT_B } },
    });
    expect(b.status).toBe(200);
  });

  it('the developer token is optional; one Google refuses is a configuration problem, not an expired grant', async () => {
    const cfg = await api('POST', '/v1/connectors/configs', {
      body: { name: 'no dev token', connector_type: 'google_ads', config: ADS_APP },
    });
    expect(cfg.status).toBe(201);
    const wrong = await connectThroughFlow(api, 'google_ads', {
      ...ADS_APP,
      developer_token: 'not-the-token',
    });
    const res = await api('GET', ops(wrong, 'metadata'));
    expect(res.status).toBe(409);
    expect(res.body.error).toMatch(/developer token/i);
    const connection = await api('GET', `/v1/connectors/oauth/${wrong}`);
    expect(connection.body.data.status).toBe('active');
  });
});

describe('YouTube', () => {
  it('lists the channel as the account; selection accepts only it', async () => {
    const res = await api('GET', ops(yt, 'metadata'));
    expect(res.status).toBe(200);
    expect(res.body.data.accounts).toEqual([
      expect.objectContaining({ id: CHANNEL, name: GOOGLE_SEED.channel.title, kind: 'channel' }),
    ]);
    expect(Object.keys(res.body.data.execute_operations)).toEqual(['update_video']);
    expect((await api('POST', ops(yt, 'account'), { body: { account_id: CHANNEL } })).status).toBe(200);
    expect(
      (await api('POST', ops(yt, 'account'), { body: { account_id: 'UCnotTheChannel000000000' } })).status,
    ).toBe(400);
  });

  it('walks an Analytics report by startIndex, each day once, metrics as numbers', async () => {
    const selected = await api('POST', ops(yt, 'account'), { body: { account_id: CHANNEL } });
    const session = selected.body.metadata.session_id;
    const first = await api('POST', ops(yt, 'query'), {
      body: {
        query: {
          resource: 'reports',
          metrics: ['views', 'likes'],
          dimensions: ['day'],
          start_date: '2026-01-01',
          end_date: '2026-01-10',
          max_results: 4,
        },
      },
      ...withSession(session),
    });
    expect(first.status).toBe(200);
    expect(first.body.data.rows[0]).toEqual({
      day: '2026-01-01',
      views: expect.any(Number),
      likes: expect.any(Number),
    });
    const rows = [...first.body.data.rows];
    let cursor = first.body.data.next_cursor;
    while (cursor) {
      const next = await api('POST', ops(yt, 'message'), {
        body: { type: 'next_page', cursor },
        ...withSession(session),
      });
      expect(next.status).toBe(200);
      rows.push(...next.body.data.rows);
      cursor = next.body.data.next_cursor;
    }
    expect(rows.map((r) => r.day)).toEqual(
      Array.from({ length: 10 }, (_, i) => `2026-01-${String(i + 1).padStart(2, '0')}`),
    );
    const whole = await api('POST', ops(yt, 'query'), {
      body: { query: { metrics: ['views'], start_date: '2026-01-01', end_date: '2026-01-10' } },
    });
    expect(whole.status).toBe(200);
    expect(whole.body.data.rows).toEqual([{ views: rows.reduce((s, r) => s + r.views, 0) }]);
    expect(whole.body.data.next_cursor).toBeNull();
  });

  it('a report YouTube refuses answers 400 with its message; malformed input never reaches it', async () => {
    const bad = await api('POST', ops(yt, 'query'), {
      body: { query: { metrics: ['nonsense'], start_date: '2026-01-01', end_date: '2026-01-10' } },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/Unknown identifier \(nonsense\)/);
    const before = google.stats.apiCalls;
    for (const query of [
      { metrics: ['views'], start_date: '2026-01-01' },
      { metrics: ['views&ids=channel==UCx'], start_date: '2026-01-01', end_date: '2026-01-10' },
      { metrics: ['views'], start_date: '01/01/2026', end_date: '2026-01-10' },
      { gaql: 'SELECT x FROM y' },
    ]) {
      expect((await api('POST', ops(yt, 'query'), { body: { query } })).status).toBe(400);
    }
    expect(google.stats.apiCalls).toBe(before);
  });

  it('updates a video’s title and category, keeping its tags, description and language', async () => {
    const video = google.videos.find((v) => v.id === 'sandboxVid1')!;
    video.defaultLanguage = 'en';
    const res = await api('POST', ops(yt, 'execute'), {
      body: {
        operation: 'update_video',
        params: { video_id: video.id, title: 'Welcome, again', category_id: '27' },
      },
    });
    expect(res.status).toBe(200);
    expect(res.body.data.result).toEqual(
      expect.objectContaining({
        id: video.id,
        title: 'Welcome, again',
        category_id: '27',
        tags: ['sandbox', 'welcome'],
      }),
    );
    expect(video).toEqual(
      expect.objectContaining({
        title: 'Welcome, again',
        categoryId: '27',
        description: 'The first seeded video.',
        tags: ['sandbox', 'welcome'],
        defaultLanguage: 'en',
      }),
    );
    const described = await api('POST', ops(yt, 'execute'), {
      body: {
        operation: 'update_video',
        params: { video_id: video.id, title: 'Welcome', category_id: '22', description: 'New words.' },
      },
    });
    expect(described.status).toBe(200);
    expect(video.description).toBe('New words.');
    expect(video.tags).toEqual(['sandbox', 'welcome']);
  });

  it('refuses hostile video ids; an unknown video answers 404', async () => {
    for (const video_id of ['../channels', 'sandboxVid1&part=status', 'x']) {
      const res = await api('POST', ops(yt, 'execute'), {
        body: { operation: 'update_video', params: { video_id, title: 't', category_id: '22' } },
      });
      expect(res.status).toBe(400);
    }
    const unknown = await api('POST', ops(yt, 'execute'), {
      body: { operation: 'update_video', params: { video_id: 'zzzzzzzzzzz', title: 't', category_id: '22' } },
    });
    expect(unknown.status).toBe(404);
  });
});

describe('platform failures', () => {
  const adsQuery = () =>
    api('POST', ops(ads, 'query'), { body: { query: { gaql: CAMPAIGN_QUERY, customer_id: CLIENT_B } } });
  const report = () =>
    api('POST', ops(yt, 'query'), {
      body: { query: { metrics: ['views'], start_date: '2026-01-01', end_date: '2026-01-03' } },
    });

  it('a Google Ads quota error answers 429 with Retry-After from retryDelay', async () => {
    google.failNext('rate_limit', /googleAds:search/);
    const res = await adsQuery();
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('30');
    expect(res.body.error).toMatch(/Too many requests/);
  });

  it('YouTube’s daily quota (403 quotaExceeded) answers 429', async () => {
    google.failNext('rate_limit', /reports/);
    const res = await report();
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(res.body.error).toMatch(/quota/);
  });

  it('a one-off 5xx is retried; a persistent one answers 502', async () => {
    google.failNext('server_error', /googleAds:search/);
    expect((await adsQuery()).status).toBe(200);
    google.failNext('server_error', /reports/);
    expect((await report()).status).toBe(200);
    for (let i = 0; i < 3; i++) google.failNext('server_error', /googleAds:search/);
    expect((await adsQuery()).status).toBe(502);
  });

  it('an expired token mid-session is renewed once and the call retried', async () => {
    const selected = await api('POST', ops(ads, 'account'), { body: { account_id: CLIENT_A } });
    const session = selected.body.metadata.session_id;
    const first = await api('POST', ops(ads, 'query'), {
      body: { query: { gaql: CAMPAIGN_QUERY } },
      ...withSession(session),
    });
    expect(first.status).toBe(200);
    let before = google.stats.refreshes;
    google.expireAccessTokens();
    const next = await api('POST', ops(ads, 'message'), {
      body: { type: 'next_page' },
      ...withSession(session),
    });
    expect(next.status).toBe(200);
    expect(next.body.data.rows).toHaveLength(10);
    expect(google.stats.refreshes - before).toBe(1);
    before = google.stats.refreshes;
    google.failNext('token_expired', /reports/);
    expect((await report()).status).toBe(200);
    expect(google.stats.refreshes - before).toBe(1);
  });
});
