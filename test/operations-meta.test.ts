// Operations on a Meta connection through real HTTP: metadata, account, insights paging by next_page,
// publishing with the Page token and to Instagram, state, sessions, platform failures, token expiry.
import { META_SEED, MetaFake } from './fakes/meta';
import { Api, apiClient } from './support/api';
import { expectError, expectOk, TypedClient, typedClient } from './support/client';
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
/** The typed client, generated from the served document: the main flows go through it. */
let client: TypedClient;
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
  client = typedClient(host.url, await issuer.token());
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
const OPS = '/api/v1/connectors/operations/{connection_id}';
/** The connection's path parameter, and the session's header when there is one. */
const on = (session?: string) => ({
  params: { path: { connection_id: id }, header: session ? { 'X-Session-Id': session } : {} },
});

describe('metadata and account', () => {
  it('lists ad accounts, Pages and Instagram accounts, with no token in sight', async () => {
    const res = expectOk(await client.GET(`${OPS}/metadata`, on()));
    expect(res.metadata.session_id).toMatch(/^ses_/);
    const accounts = res.data.accounts;
    expect(accounts).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: ACTIVE_ACCOUNT, kind: 'ad_account', active: true }),
        expect.objectContaining({ id: PAGE, kind: 'page' }),
        expect.objectContaining({ id: IG, kind: 'instagram_account' }),
      ]),
    );
    expect(JSON.stringify(res)).not.toMatch(/access_token/);
    expect(res.data.query_schema).toEqual(expect.objectContaining({ type: 'object' }));
    expect(Object.keys(res.data.execute_operations)).toEqual(['publish_post', 'publish_instagram_media']);
  });

  it('sets the active account only to one of the connection’s accounts', async () => {
    const res = expectOk(
      await client.POST(`${OPS}/account`, { ...on(), body: { account_id: ACTIVE_ACCOUNT } }),
    );
    const session = res.metadata.session_id;
    expect(res.data.state.account_id).toBe(ACTIVE_ACCOUNT);
    const state = expectOk(await client.GET(`${OPS}/state`, on(session)));
    expect(state.data.account_id).toBe(ACTIVE_ACCOUNT);
    const unknown = expectError(
      await client.POST(`${OPS}/account`, { ...on(), body: { account_id: 'act_999' } }),
      400,
    );
    expect(unknown.code).toBe('unknown_account');
    expect((await api('POST', ops('account'), { body: {} })).status).toBe(400);
  });
});

describe('query and next_page', () => {
  it('walks every page of an insights report exactly once, metrics as numbers', async () => {
    const first = expectOk(
      await client.POST(`${OPS}/query`, {
        ...on(),
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
      }),
    );
    const session = first.metadata.session_id;
    const rows = [...first.data.rows];
    expect(typeof rows[0].impressions).toBe('number');
    expect(typeof rows[0].campaign_id).toBe('string');
    let cursor = first.data.next_cursor;
    expect(cursor).toMatch(/^cur_/);
    while (cursor) {
      const next = expectOk(
        await client.POST(`${OPS}/message`, { ...on(session), body: { type: 'next_page', cursor } }),
      );
      expect(next.metadata.session_id).toBe(session);
      if (!('rows' in next.data)) throw new Error('next_page answered no rows');
      rows.push(...next.data.rows);
      cursor = next.data.next_cursor;
    }
    expect(rows).toHaveLength(90);
    const keys = rows.map((r) => `${String(r.campaign_id)}:${String(r.date_start)}`);
    expect(new Set(keys).size).toBe(90);
    const done = expectError(
      await client.POST(`${OPS}/message`, { ...on(session), body: { type: 'next_page' } }),
      409,
    );
    expect(done.code).toBe('no_next_page');
    // The platform's paging URL (with its access_token) never reaches the client; the state has only a handle.
    const state = expectOk(await client.GET(`${OPS}/state`, on(session)));
    expect(JSON.stringify(state)).not.toMatch(/access_token|graph|after=/);
    expect(state.data.last_query?.level).toBe('campaign');
  });

  it('inherits defaults set by message, and reset forgets them', async () => {
    const set = expectOk(
      await client.POST(`${OPS}/message`, {
        ...on(),
        body: { type: 'set_defaults', defaults: { date_preset: 'last_7d', level: 'account' } },
      }),
    );
    const session = set.metadata.session_id;
    expectOk(await client.POST(`${OPS}/account`, { ...on(session), body: { account_id: ACTIVE_ACCOUNT } }));
    const res = expectOk(
      await client.POST(`${OPS}/query`, { ...on(session), body: { query: { fields: ['impressions'] } } }),
    );
    expect(res.data.rows.length).toBeGreaterThan(0);
    const state = expectOk(await client.GET(`${OPS}/state`, on(session))).data;
    expect(state.last_query).toEqual({ date_preset: 'last_7d', level: 'account', fields: ['impressions'] });
    const reset = expectOk(await client.POST(`${OPS}/message`, { ...on(session), body: { type: 'reset' } }));
    expect(reset.data).toEqual(expect.objectContaining({ account_id: null, last_query: null, defaults: {} }));
  });

  it('reads Page and Instagram insights', async () => {
    const page = expectOk(
      await client.POST(`${OPS}/query`, {
        ...on(),
        body: { query: { resource: 'page_insights', page_id: PAGE, metrics: ['page_post_engagements'] } },
      }),
    );
    expect(page.data.rows[0]).toEqual(
      expect.objectContaining({ metric: 'page_post_engagements', value: expect.any(Number) }),
    );
    const ig = expectOk(
      await client.POST(`${OPS}/query`, {
        ...on(),
        body: { query: { resource: 'instagram_insights', ig_user_id: IG, metrics: ['reach'] } },
      }),
    );
    expect(ig.data.rows.length).toBeGreaterThan(0);
  });

  it('20 concurrent queries in one session all succeed and the session stays consistent', async () => {
    const first = expectOk(
      await client.POST(`${OPS}/account`, { ...on(), body: { account_id: ACTIVE_ACCOUNT } }),
    );
    const session = first.metadata.session_id;
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        client.POST(`${OPS}/query`, {
          ...on(session),
          body: { query: { fields: ['impressions'], date_preset: 'last_7d', limit: 5, level: 'ad' } },
        }),
      ),
    );
    expect(results.map((r) => r.response.status)).toEqual(Array(20).fill(200));
    const state = expectOk(await client.GET(`${OPS}/state`, on(session))).data;
    expect(state.account_id).toBe(ACTIVE_ACCOUNT);
    expect(state.next_cursor).toEqual(expect.any(String));
  });
});

describe('execute', () => {
  it('publishes to a Page with the Page token', async () => {
    const res = expectOk(
      await client.POST(`${OPS}/execute`, {
        ...on(),
        body: { operation: 'publish_post', params: { page_id: PAGE, message: 'Hello from Supertrack' } },
      }),
    );
    expect(res.data.operation).toBe('publish_post');
    expect(res.data.result).toEqual(
      expect.objectContaining({ id: expect.stringMatching(new RegExp(`^${PAGE}_`)) }),
    );
    expect(meta.posts.some((p) => p.message === 'Hello from Supertrack' && p.targetId === PAGE)).toBe(true);
  });

  it('publishes to Instagram in two steps', async () => {
    const res = expectOk(
      await client.POST(`${OPS}/execute`, {
        ...on(),
        body: {
          operation: 'publish_instagram_media',
          params: { ig_user_id: IG, image_url: 'https://cdn.example.com/a.jpg', caption: 'hi' },
        },
      }),
    );
    expect(res.data.result).toEqual(expect.objectContaining({ id: expect.any(String) }));
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
