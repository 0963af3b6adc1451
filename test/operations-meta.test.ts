// Operations on a Meta connection through real HTTP: metadata, account, insights paging by next_page,
// publishing with the Page token and to Instagram, state, sessions, platform failures, token expiry.
import { META_SEED, MetaFake } from './fakes/meta';
import { Api, apiClient } from './support/api';
import { connectThroughFlow } from './support/connect';
import { startTestIssuer, TENANT_B, TEST_AUDIENCE, TestIssuer } from './support/issuer';
import { RunningHost, startHost } from './support/localHost';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const APP = { app_id: '4444444444', app_secret: 'meta-ops-secret-0123456789' };
const ACTIVE_ACCOUNT = `act_${META_SEED.adAccounts[0].accountId}`;
const PAGE = META_SEED.pages[0].id;
const IG = META_SEED.igUser.id;

let issuer: TestIssuer;
let meta: MetaFake;
let host: RunningHost;
let api: Api;
let id: string;
let dataDir: string;
let env: Record<string, string>;

beforeAll(async () => {
  issuer = await startTestIssuer();
  meta = await MetaFake.start();
  meta.addApp({ clientId: APP.app_id, clientSecret: APP.app_secret });
  dataDir = mkdtempSync(join(tmpdir(), 'st-ops-meta-'));
  env = { AUTH_AUTHORITY: issuer.url, AUTH_AUDIENCE: TEST_AUDIENCE, ...meta.env() };
  host = await startHost({ dataDir, env });
  api = apiClient(host.api, await issuer.token());
  id = await connectThroughFlow(api, 'meta', APP);
});

afterAll(async () => {
  await host?.stop();
  await meta?.close();
  await issuer?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const ops = (path: string) => `/v1/connectors/operations/${id}/${path}`;
const withSession = (session: string) => ({ headers: { 'x-session-id': session } });

describe('metadata and account', () => {
  it('lists ad accounts, Pages and Instagram accounts, with no token in sight', async () => {
    const res = await api('GET', ops('metadata'));
    expect(res.status).toBe(200);
    expect(res.body.metadata.session_id).toMatch(/^ses_/);
    const accounts = res.body.data.accounts;
    expect(accounts).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: ACTIVE_ACCOUNT, kind: 'ad_account', active: true }),
        expect.objectContaining({ id: PAGE, kind: 'page' }),
        expect.objectContaining({ id: IG, kind: 'instagram_account' }),
      ]),
    );
    expect(JSON.stringify(res.body)).not.toMatch(/access_token/);
    expect(res.body.data.query_schema).toEqual(expect.objectContaining({ type: 'object' }));
    expect(Object.keys(res.body.data.execute_operations)).toEqual([
      'publish_post',
      'publish_instagram_media',
    ]);
  });

  it('sets the active account only to one of the connection’s accounts', async () => {
    const res = await api('POST', ops('account'), { body: { account_id: ACTIVE_ACCOUNT } });
    expect(res.status).toBe(200);
    const session = res.body.metadata.session_id;
    expect(res.body.data.state.account_id).toBe(ACTIVE_ACCOUNT);
    const state = await api('GET', ops('state'), withSession(session));
    expect(state.body.data.account_id).toBe(ACTIVE_ACCOUNT);
    expect((await api('POST', ops('account'), { body: { account_id: 'act_999' } })).status).toBe(400);
    expect((await api('POST', ops('account'), { body: {} })).status).toBe(400);
  });
});

describe('query and next_page', () => {
  it('walks every page of an insights report exactly once, metrics as numbers', async () => {
    const first = await api('POST', ops('query'), {
      body: {
        query: {
          resource: 'insights',
          account_id: ACTIVE_ACCOUNT,
          fields: ['campaign_id', 'campaign_name', 'impressions', 'clicks', 'spend'],
          level: 'campaign',
          date_preset: 'last_30d',
          time_increment: 1,
          limit: 25,
        },
      },
    });
    expect(first.status).toBe(200);
    const session = first.body.metadata.session_id;
    const rows = [...first.body.data.rows];
    expect(typeof rows[0].impressions).toBe('number');
    expect(typeof rows[0].campaign_id).toBe('string');
    let cursor = first.body.data.next_cursor;
    expect(cursor).toMatch(/^cur_/);
    while (cursor) {
      const next = await api('POST', ops('message'), {
        body: { type: 'next_page', cursor },
        ...withSession(session),
      });
      expect(next.status).toBe(200);
      expect(next.body.metadata.session_id).toBe(session);
      rows.push(...next.body.data.rows);
      cursor = next.body.data.next_cursor;
    }
    expect(rows).toHaveLength(90);
    const keys = rows.map((r) => `${r.campaign_id}:${r.date_start}`);
    expect(new Set(keys).size).toBe(90);
    const done = await api('POST', ops('message'), { body: { type: 'next_page' }, ...withSession(session) });
    expect(done.status).toBe(409);
    // The platform's paging URL (with its access_token) never reaches the client; the state has only a handle.
    const state = await api('GET', ops('state'), withSession(session));
    expect(JSON.stringify(state.body)).not.toMatch(/access_token|graph|after=/);
    expect(state.body.data.last_query.level).toBe('campaign');
  });

  it('inherits defaults set by message, and reset forgets them', async () => {
    const set = await api('POST', ops('message'), {
      body: { type: 'set_defaults', defaults: { date_preset: 'last_7d', level: 'account' } },
    });
    const session = set.body.metadata.session_id;
    await api('POST', ops('account'), { body: { account_id: ACTIVE_ACCOUNT }, ...withSession(session) });
    const res = await api('POST', ops('query'), {
      body: { query: { fields: ['impressions'] } },
      ...withSession(session),
    });
    expect(res.status).toBe(200);
    expect(res.body.data.rows.length).toBeGreaterThan(0);
    const state = (await api('GET', ops('state'), withSession(session))).body.data;
    expect(state.last_query).toEqual({ date_preset: 'last_7d', level: 'account', fields: ['impressions'] });
    const reset = await api('POST', ops('message'), { body: { type: 'reset' }, ...withSession(session) });
    expect(reset.body.data).toEqual(
      expect.objectContaining({ account_id: null, last_query: null, defaults: {} }),
    );
  });

  it('reads Page and Instagram insights', async () => {
    const page = await api('POST', ops('query'), {
      body: { query: { resource: 'page_insights', page_id: PAGE, metrics: ['page_post_engagements'] } },
    });
    expect(page.status).toBe(200);
    expect(page.body.data.rows[0]).toEqual(
      expect.objectContaining({ metric: 'page_post_engagements', value: expect.any(Number) }),
    );
    const ig = await api('POST', ops('query'), {
      body: { query: { resource: 'instagram_insights', ig_user_id: IG, metrics: ['reach'] } },
    });
    expect(ig.status).toBe(200);
    expect(ig.body.data.rows.length).toBeGreaterThan(0);
  });

  it('20 concurrent queries in one session all succeed and the session stays consistent', async () => {
    const first = await api('POST', ops('account'), { body: { account_id: ACTIVE_ACCOUNT } });
    const session = first.body.metadata.session_id;
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        api('POST', ops('query'), {
          body: { query: { fields: ['impressions'], date_preset: 'last_7d', limit: 5, level: 'ad' } },
          ...withSession(session),
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    const state = (await api('GET', ops('state'), withSession(session))).body.data;
    expect(state.account_id).toBe(ACTIVE_ACCOUNT);
    expect(state.next_cursor).toEqual(expect.any(String));
  });
});

describe('execute', () => {
  it('publishes to a Page with the Page token', async () => {
    const res = await api('POST', ops('execute'), {
      body: { operation: 'publish_post', params: { page_id: PAGE, message: 'Hello from Supertrack' } },
    });
    expect(res.status).toBe(200);
    expect(res.body.data.result.id).toMatch(new RegExp(`^${PAGE}_`));
    expect(meta.posts.some((p) => p.message === 'Hello from Supertrack' && p.targetId === PAGE)).toBe(true);
  });

  it('publishes to Instagram in two steps', async () => {
    const res = await api('POST', ops('execute'), {
      body: {
        operation: 'publish_instagram_media',
        params: { ig_user_id: IG, image_url: 'https://cdn.example.com/a.jpg', caption: 'hi' },
      },
    });
    expect(res.status).toBe(200);
    expect(res.body.data.result.id).toEqual(expect.any(String));
  });

  it('refuses unknown operations, bad params and hostile ids', async () => {
    expect(
      (await api('POST', ops('execute'), { body: { operation: 'drop_tables', params: {} } })).status,
    ).toBe(400);
    expect(
      (await api('POST', ops('execute'), { body: { operation: 'publish_post', params: { page_id: PAGE } } }))
        .status,
    ).toBe(400);
    const hostile = await api('POST', ops('execute'), {
      body: { operation: 'publish_post', params: { page_id: '../me/permissions', message: 'x' } },
    });
    expect(hostile.status).toBe(400);
    const hostileQuery = await api('POST', ops('query'), {
      body: { query: { account_id: 'act_1/../../me', fields: ['impressions'] } },
    });
    expect(hostileQuery.status).toBe(400);
    expect((await api('POST', ops('query'), { body: { nope: 1 } })).status).toBe(400);
    expect((await api('POST', ops('query'), { body: '[]' })).status).toBe(400);
  });
});

describe('sessions', () => {
  it('an unknown, malformed or other tenant’s session id answers 404', async () => {
    const own = (await api('GET', ops('state'))).body.metadata.session_id;
    expect(
      (await api('GET', ops('state'), withSession('ses_unknownunknownunknownunknownunknownunknown0'))).status,
    ).toBe(404);
    expect((await api('GET', ops('state'), withSession('garbage'))).status).toBe(404);
    const apiB = apiClient(host.api, await issuer.token({ tid: TENANT_B }));
    expect((await apiB('GET', ops('state'), withSession(own))).status).toBe(404);
    expect((await api('GET', `${ops('state')}?session_id=${own}`)).body.data.session_id).toBe(own);
  });

  it('an operation on a connection that is not active answers 409; an unknown connection 404', async () => {
    const created = await api('POST', '/v1/connectors/oauth', {
      body: {
        connector_type: 'meta',
        config_id: (
          await api('POST', '/v1/connectors/configs', {
            body: { name: 'x', connector_type: 'meta', config: APP },
          })
        ).body.data.id,
      },
    });
    expect((await api('GET', `/v1/connectors/operations/${created.body.data.id}/metadata`)).status).toBe(409);
    expect(
      (await api('GET', '/v1/connectors/operations/00000000-0000-4000-8000-000000000000/metadata')).status,
    ).toBe(404);
  });

  it('survive a restart of the host', async () => {
    const set = await api('POST', ops('account'), { body: { account_id: ACTIVE_ACCOUNT } });
    const session = set.body.metadata.session_id;
    await host.stop();
    host = await startHost({ dataDir, env });
    api = apiClient(host.api, await issuer.token());
    const state = await api('GET', ops('state'), withSession(session));
    expect(state.status).toBe(200);
    expect(state.body.data.account_id).toBe(ACTIVE_ACCOUNT);
  });
});

describe('platform failures', () => {
  it('a Meta throttle (HTTP 400 code 80004) answers 429 with Retry-After', async () => {
    meta.failNext('rate_limit', /insights/);
    const res = await api('POST', ops('query'), {
      body: { query: { account_id: ACTIVE_ACCOUNT, fields: ['impressions'] } },
    });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(res.body.error).toMatch(/rate limit/i);
  });

  it('a one-off 5xx on a read is retried; a persistent one answers 502', async () => {
    meta.failNext('server_error', /insights/);
    const ok = await api('POST', ops('query'), {
      body: { query: { account_id: ACTIVE_ACCOUNT, fields: ['impressions'] } },
    });
    expect(ok.status).toBe(200);
    for (let i = 0; i < 3; i++) meta.failNext('server_error', /insights/);
    const bad = await api('POST', ops('query'), {
      body: { query: { account_id: ACTIVE_ACCOUNT, fields: ['impressions'] } },
    });
    expect(bad.status).toBe(502);
  });

  it('an expired token mid-session is renewed once and the call retried', async () => {
    const first = await api('POST', ops('account'), { body: { account_id: ACTIVE_ACCOUNT } });
    const session = first.body.metadata.session_id;
    const before = meta.stats.refreshes;
    meta.failNext('token_expired', /insights/);
    const res = await api('POST', ops('query'), {
      body: { query: { fields: ['impressions'] } },
      ...withSession(session),
    });
    expect(res.status).toBe(200);
    expect(meta.stats.refreshes - before).toBe(1);
  });
});

describe('a grant the user takes away', () => {
  it('the user removes the app at Meta: the connection becomes revoked and operations answer 409', async () => {
    meta.userRemovesApp(APP.app_id);
    const res = await api('POST', ops('query'), {
      body: { query: { account_id: ACTIVE_ACCOUNT, fields: ['impressions'] } },
    });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('reconnect_required');
    const connection = (await api('GET', `/v1/connectors/oauth/${id}`)).body.data;
    expect(connection.status).toBe('revoked');
    expect(connection.last_error).toMatch(/not authorized application/);
    const again = await api('GET', ops('metadata'));
    expect(again.status).toBe(409);
    expect(again.body.error).toMatch(/revoked.*reconnect/);
  });
});
