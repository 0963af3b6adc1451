// Operations on a LinkedIn connection through real HTTP: organizations and ad accounts, adAnalytics in
// Rest.li 2.0 syntax (one answer, no paging), posting as an organization, platform failures and renewal.
import { LinkedInFake } from './fakes/linkedin';
import { Api } from './support/api';
import { connectThroughFlow } from './support/connect';
import { startConnectedHost } from './support/connected';
import { TestIssuer } from './support/issuer';
import { RunningHost } from './support/localHost';

const APP = { client_id: 'liOpsClient', client_secret: 'linkedin-ops-secret-0123456789' };
const WEEK = { start_date: '2026-01-01', end_date: '2026-01-07' };
const REPORT = { resource: 'ad_analytics', pivot: 'CAMPAIGN', time_granularity: 'DAILY', ...WEEK };

let issuer: TestIssuer;
let linkedin: LinkedInFake;
let host: RunningHost;
let api: Api;
let id: string;

beforeAll(async () => {
  linkedin = await LinkedInFake.start();
  linkedin.addApp({ clientId: APP.client_id, clientSecret: APP.client_secret });
  ({ issuer, host, api, id } = await startConnectedHost(linkedin, 'linkedin', APP));
});

afterAll(async () => {
  await host?.stop();
  await linkedin?.close();
  await issuer?.close();
});

const ops = (path: string) => `/v1/connectors/operations/${id}/${path}`;
const withSession = (session: string) => ({ headers: { 'x-session-id': session } });
const analyticsCalls = () => linkedin.stats.requests.filter((r) => r.path === '/rest/adAnalytics').length;

/** The fake's impressions of one campaign on one day (its delivery is a fixed function of both). */
function impressions(campaign: number, isoDay: string): number {
  const day = Date.parse(`${isoDay}T00:00:00Z`) / 86_400_000;
  return 50 + ((campaign * 31 + day * 17) % 200);
}

describe('metadata and account', () => {
  it('lists administered organizations and ad accounts, nothing else', async () => {
    const res = await api('GET', ops('metadata'));
    expect(res.status).toBe(200);
    expect(res.body.data.connector_type).toBe('linkedin');
    const accounts = res.body.data.accounts as Array<{ id: string; kind: string }>;
    expect(accounts.map((a) => `${a.kind}:${a.id}`)).toEqual([
      'organization:123',
      'organization:456',
      'organization:654',
      'ad_account:5001',
      'ad_account:5002',
    ]);
    expect(Object.keys(res.body.data.execute_operations)).toEqual(['create_post']);
    expect(res.body.data.query_schema.required).toEqual(
      expect.arrayContaining(['pivot', 'time_granularity', 'start_date', 'end_date']),
    );
  });

  it('selects only one of the listed accounts', async () => {
    const res = await api('POST', ops('account'), { body: { account_id: '5001' } });
    expect(res.status).toBe(200);
    expect(res.body.data.account).toEqual(expect.objectContaining({ id: '5001', kind: 'ad_account' }));
    // 789 is a role without administration, 321 a request not approved.
    for (const account_id of ['789', '321', 'urn:li:sponsoredAccount:5001', '5001)']) {
      expect((await api('POST', ops('account'), { body: { account_id } })).status).toBe(400);
    }
  });
});

describe('an app without the advertising product', () => {
  it('still lists the organizations; ad analytics is LinkedIn’s refusal (409)', async () => {
    const scopes = ['openid', 'profile', 'rw_organization_admin', 'w_organization_social'];
    const limited = await connectThroughFlow(api, 'linkedin', APP, { scopes });
    const res = await api('GET', `/v1/connectors/operations/${limited}/metadata`);
    expect(res.status).toBe(200);
    expect(res.body.data.accounts.map((a: { kind: string }) => a.kind)).toEqual([
      'organization',
      'organization',
      'organization',
    ]);
    const report = await api('POST', `/v1/connectors/operations/${limited}/query`, {
      body: { query: { ...REPORT, account_id: '5001' } },
    });
    expect(report.status).toBe(409);
  });
});

describe('ad analytics', () => {
  it('reports a week per campaign in one answer: no cursor, next_page answers 409', async () => {
    const chosen = await api('POST', ops('account'), { body: { account_id: '5001' } });
    const session = chosen.body.metadata.session_id;
    const res = await api('POST', ops('query'), { body: { query: REPORT }, ...withSession(session) });
    expect(res.status).toBe(200);
    expect(res.body.data.next_cursor).toBeNull();
    const rows = res.body.data.rows as Array<Record<string, unknown>>;
    // Campaigns 9001 and 9002 deliver; 9003 is paused and left out, as LinkedIn does.
    expect(rows).toHaveLength(14);
    expect(new Set(rows.map((r) => `${String(r.pivotValues)}@${String(r['dateRange.start'])}`)).size).toBe(
      14,
    );
    const first = rows.find(
      (r) =>
        String(r.pivotValues) === 'urn:li:sponsoredCampaign:9001' && r['dateRange.start'] === '2026-01-03',
    );
    expect(first).toEqual({
      pivotValues: ['urn:li:sponsoredCampaign:9001'],
      'dateRange.start': '2026-01-03',
      'dateRange.end': '2026-01-03',
      impressions: impressions(9001, '2026-01-03'),
      clicks: impressions(9001, '2026-01-03') % 7,
    });
    const next = await api('POST', ops('message'), { body: { type: 'next_page' }, ...withSession(session) });
    expect(next.status).toBe(409);
    expect(next.body.code).toBe('no_next_page');
    const state = await api('GET', ops('state'), withSession(session));
    expect(state.body.data).toEqual(
      expect.objectContaining({ account_id: '5001', last_query: REPORT, next_cursor: null }),
    );
  });

  it('totals by account over the whole range, with the metrics asked for as numbers', async () => {
    const res = await api('POST', ops('query'), {
      body: {
        query: {
          ...REPORT,
          account_id: '5001',
          pivot: 'ACCOUNT',
          time_granularity: 'ALL',
          fields: ['impressions', 'costInLocalCurrency'],
        },
      },
    });
    expect(res.status).toBe(200);
    const days = ['01', '02', '03', '04', '05', '06', '07'].map((d) => `2026-01-${d}`);
    const total = [9001, 9002].reduce((sum, c) => sum + days.reduce((s, d) => s + impressions(c, d), 0), 0);
    expect(res.body.data.rows).toEqual([
      {
        impressions: total,
        costInLocalCurrency: expect.any(Number),
        'dateRange.start': '2026-01-01',
        'dateRange.end': '2026-01-07',
        pivotValues: ['urn:li:sponsoredAccount:5001'],
      },
    ]);
    expect(res.body.data.rows[0].costInLocalCurrency).toBeCloseTo(total * 0.05, 2);
  });

  it('an ad account the member has no role on is LinkedIn’s refusal (409), not a 5xx', async () => {
    const res = await api('POST', ops('query'), { body: { query: { ...REPORT, account_id: '5999' } } });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('platform_forbidden');
  });

  it('refuses bad queries and hostile ids before calling LinkedIn', async () => {
    const before = analyticsCalls();
    const bad: Array<Record<string, unknown>> = [
      { ...REPORT, account_id: '5001)&q=statistics' },
      { ...REPORT, account_id: 'urn:li:sponsoredAccount:5001' },
      { ...REPORT, account_id: '5001,5002' },
      { ...REPORT, pivot: 'CAMPAIGN&accounts=List(x)' },
      { ...REPORT, time_granularity: 'HOURLY' },
      { ...REPORT, start_date: '2026-1-1' },
      { ...REPORT, start_date: '2026-02-30', end_date: '2026-03-01' },
      { ...REPORT, start_date: '2026-01-08' },
      { ...REPORT, fields: ['impressions,clicks'] },
      { ...REPORT, fields: ['impressions)'] },
      { ...REPORT, fields: Array.from({ length: 21 }, (_, i) => `metric${i}`) },
      { ...REPORT, extra: 1 },
      { pivot: 'CAMPAIGN', time_granularity: 'DAILY', start_date: '2026-01-01' },
    ];
    for (const query of bad) {
      const res = await api('POST', ops('query'), { body: { query: { account_id: '5001', ...query } } });
      expect([query, res.status]).toEqual([query, 400]);
    }
    // No account named or selected.
    expect((await api('POST', ops('query'), { body: { query: REPORT } })).status).toBe(400);
    expect(analyticsCalls()).toBe(before);
  });
});

describe('execute', () => {
  it('posts as an organization; the text shows exactly as written', async () => {
    const text = 'Launch (beta) of *Supertrack* @ 10:00 — see https://example.com/a_b #news';
    const res = await api('POST', ops('execute'), {
      body: { operation: 'create_post', params: { organization_id: '123', text } },
    });
    expect(res.status).toBe(200);
    const post = linkedin.posts[linkedin.posts.length - 1];
    expect(res.body.data.result).toEqual({ id: post.id, author: 'urn:li:organization:123' });
    expect(post.id).toMatch(/^urn:li:share:\d+$/);
    expect(post.shown).toBe(text);
    expect(post.body).toEqual(
      expect.objectContaining({
        author: 'urn:li:organization:123',
        visibility: 'PUBLIC',
        lifecycleState: 'PUBLISHED',
        isReshareDisabledByAuthor: false,
        distribution: {
          feedDistribution: 'MAIN_FEED',
          targetEntities: [],
          thirdPartyDistributionChannels: [],
        },
      }),
    );
    const connections = await api('POST', ops('execute'), {
      body: {
        operation: 'create_post',
        params: { organization_id: '456', text: 'Members only', visibility: 'CONNECTIONS' },
      },
    });
    expect(connections.status).toBe(200);
    expect(linkedin.posts[linkedin.posts.length - 1]).toEqual(
      expect.objectContaining({ author: 'urn:li:organization:456', visibility: 'CONNECTIONS' }),
    );
  });

  it('an organization the member only analyses is refused by LinkedIn (409)', async () => {
    const count = linkedin.posts.length;
    const res = await api('POST', ops('execute'), {
      body: { operation: 'create_post', params: { organization_id: '789', text: 'Not allowed' } },
    });
    expect(res.status).toBe(409);
    expect(linkedin.posts).toHaveLength(count);
  });

  it('refuses unknown operations, bad params and hostile ids', async () => {
    const count = linkedin.posts.length;
    const bad: Array<Record<string, unknown>> = [
      { operation: 'create_post', params: { organization_id: '123/../../me', text: 'x' } },
      { operation: 'create_post', params: { organization_id: 'urn:li:organization:123', text: 'x' } },
      { operation: 'create_post', params: { organization_id: '123' } },
      { operation: 'create_post', params: { organization_id: '123', text: '' } },
      { operation: 'create_post', params: { organization_id: '123', text: 'y'.repeat(3001) } },
      { operation: 'create_post', params: { organization_id: '123', text: 'x', visibility: 'LOGGED_IN' } },
      { operation: 'create_post', params: { organization_id: 123, text: 'x' } },
      { operation: 'share', params: {} },
    ];
    for (const body of bad) expect((await api('POST', ops('execute'), { body })).status).toBe(400);
    expect(linkedin.posts).toHaveLength(count);
  });
});

describe('platform failures', () => {
  const query = { body: { query: { ...REPORT, account_id: '5001' } } };

  it('a throttle (429 without Retry-After: daily limits) answers 429 with a Retry-After', async () => {
    linkedin.failNext('rate_limit', /adAnalytics/);
    const res = await api('POST', ops('query'), query);
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBe(3600);
  });

  it('a one-off 5xx on a read is retried; a persistent one answers 502; a post is never retried', async () => {
    linkedin.failNext('server_error', /adAnalytics/);
    expect((await api('POST', ops('query'), query)).status).toBe(200);
    for (let i = 0; i < 3; i++) linkedin.failNext('server_error', /adAnalytics/);
    expect((await api('POST', ops('query'), query)).status).toBe(502);
    const count = linkedin.posts.length;
    const calls = () => linkedin.stats.requests.filter((r) => r.path === '/rest/posts').length;
    const before = calls();
    linkedin.failNext('server_error', /\/rest\/posts/);
    const res = await api('POST', ops('execute'), {
      body: { operation: 'create_post', params: { organization_id: '123', text: 'Once' } },
    });
    expect(res.status).toBe(502);
    expect(calls() - before).toBe(1);
    expect(linkedin.posts).toHaveLength(count);
  });

  it('a revoked token mid-session is renewed once and the call retried, twice in a row', async () => {
    const before = linkedin.stats.refreshes;
    for (let i = 0; i < 2; i++) {
      linkedin.failNext('token_expired', /adAnalytics/);
      expect((await api('POST', ops('query'), query)).status).toBe(200);
      expect(linkedin.stats.refreshes - before).toBe(i + 1);
    }
    linkedin.expireAccessTokens();
    expect((await api('GET', ops('metadata'))).status).toBe(200);
    expect(linkedin.stats.refreshes - before).toBe(3);
  });
});
