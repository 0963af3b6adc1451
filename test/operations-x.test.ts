// Operations on an X (twitter) connection through real HTTP: metadata, account, the timeline paged by
// next_page, publishing, state, platform failures and token renewal with rotating refresh tokens.
import { XFake } from './fakes/x';
import { Api } from './support/api';
import { startConnectedHost } from './support/connected';
import { TestIssuer } from './support/issuer';
import { RunningHost } from './support/localHost';

const APP = {
  api_key: 'xOpsConsumerKey',
  api_secret: 'x-ops-consumer-secret-0123456789',
  client_id: 'x-ops-client',
  client_secret: 'x-ops-client-secret-0123456789',
};

let issuer: TestIssuer;
let x: XFake;
let host: RunningHost;
let api: Api;
let id: string;
let user: string;

beforeAll(async () => {
  x = await XFake.start();
  x.addApp({ clientId: APP.client_id, clientSecret: APP.client_secret });
  x.addConsumerKey(APP.api_key, APP.api_secret);
  user = x.user.id;
  ({ issuer, host, api, id } = await startConnectedHost(x, 'twitter', APP));
});

afterAll(async () => {
  await host?.stop();
  await x?.close();
  await issuer?.close();
});

const ops = (path: string) => `/v1/connectors/operations/${id}/${path}`;
const withSession = (session: string) => ({ headers: { 'x-session-id': session } });
const timelineCalls = () => x.stats.requests.filter((r) => r.path === `/2/users/${user}/tweets`).length;

/** Runs a query and follows next_page to the end; returns every row and the session. */
async function walk(query: Record<string, unknown>, session?: string) {
  const first = await api('POST', ops('query'), {
    body: { query },
    ...(session ? withSession(session) : {}),
  });
  expect(first.status).toBe(200);
  const sid: string = first.body.metadata.session_id;
  const rows: Array<Record<string, unknown>> = [...first.body.data.rows];
  let cursor: string | null = first.body.data.next_cursor;
  let pages = 1;
  while (cursor) {
    const next = await api('POST', ops('message'), {
      body: { type: 'next_page', cursor },
      ...withSession(sid),
    });
    expect(next.status).toBe(200);
    rows.push(...next.body.data.rows);
    cursor = next.body.data.next_cursor;
    pages++;
  }
  return { rows, session: sid, pages };
}

describe('metadata and account', () => {
  it('lists the connected user, the query schema and create_post', async () => {
    const res = await api('GET', ops('metadata'));
    expect(res.status).toBe(200);
    expect(res.body.metadata.session_id).toMatch(/^ses_/);
    expect(res.body.data.connector_type).toBe('twitter');
    expect(res.body.data.accounts).toEqual([
      expect.objectContaining({ id: user, kind: 'user', name: x.user.name, username: x.user.username }),
    ]);
    expect(res.body.data.query_schema.properties.max_results).toEqual(
      expect.objectContaining({ minimum: 5, maximum: 100 }),
    );
    expect(Object.keys(res.body.data.execute_operations)).toEqual(['create_post']);
    expect(JSON.stringify(res.body)).not.toMatch(/access_token|refresh_token/);
  });

  it('selects only the connection’s own user', async () => {
    const res = await api('POST', ops('account'), { body: { account_id: user } });
    expect(res.status).toBe(200);
    const state = await api('GET', ops('state'), withSession(res.body.metadata.session_id));
    expect(state.body.data.account_id).toBe(user);
    for (const account_id of ['1700000000000000002', '../me', '']) {
      expect((await api('POST', ops('account'), { body: { account_id } })).status).toBe(400);
    }
    expect((await api('POST', ops('account'), { body: {} })).status).toBe(400);
  });
});

describe('query and next_page', () => {
  it('walks the 23 posts five at a time, each exactly once, metrics flattened', async () => {
    const chosen = await api('POST', ops('account'), { body: { account_id: user } });
    const { rows, session, pages } = await walk(
      { resource: 'tweets', max_results: 5 },
      chosen.body.metadata.session_id,
    );
    expect(pages).toBe(5);
    expect(rows).toHaveLength(23);
    expect(new Set(rows.map((r) => r.id)).size).toBe(23);
    expect(rows.map((r) => r.id)).toEqual(x.tweets.slice(0, 23).map((t) => t.id));
    expect(rows[0]).toEqual(
      expect.objectContaining({
        id: expect.any(String),
        text: expect.any(String),
        created_at: expect.any(String),
        'public_metrics.like_count': expect.any(Number),
        'public_metrics.impression_count': expect.any(Number),
      }),
    );
    const done = await api('POST', ops('message'), { body: { type: 'next_page' }, ...withSession(session) });
    expect(done.status).toBe(409);
    const state = await api('GET', ops('state'), withSession(session));
    expect(state.body.data).toEqual(
      expect.objectContaining({
        session_id: session,
        account_id: user,
        last_query: { resource: 'tweets', max_results: 5 },
        next_cursor: null,
      }),
    );
  });

  it('without a selected account reads the connected user; a stale cursor answers 409', async () => {
    const first = await api('POST', ops('query'), {
      body: { query: { max_results: 10, tweet_fields: ['lang', 'conversation_id'] } },
    });
    expect(first.status).toBe(200);
    expect(first.body.data.rows).toHaveLength(10);
    const session = first.body.metadata.session_id;
    const state = await api('GET', ops('state'), withSession(session));
    expect(state.body.data.next_cursor).toBe(first.body.data.next_cursor);
    expect(JSON.stringify(state.body)).not.toMatch(/pagination_token|next_token/);
    const stale = await api('POST', ops('message'), {
      body: { type: 'next_page', cursor: 'cur_not-this-one' },
      ...withSession(session),
    });
    expect(stale.status).toBe(409);
  });

  it('another user’s id X does not know answers 404 (X says so in a 200 with errors[])', async () => {
    const res = await api('POST', ops('query'), { body: { query: { account_id: '42' } } });
    expect(res.status).toBe(404);
    expect(res.body.error).toMatch(/Could not find user/);
  });

  it('partial errors beside data come back as warnings, with the rows', async () => {
    x.partialErrorNext({
      resource_type: 'tweet',
      detail: 'Could not find tweet with referenced_tweets.id: [1].',
      title: 'Not Found Error',
      type: 'https://api.twitter.com/2/problems/resource-not-found',
    });
    const res = await api('POST', ops('query'), { body: { query: { max_results: 5 } } });
    expect(res.status).toBe(200);
    expect(res.body.data.rows).toHaveLength(5);
    expect(res.body.data.warnings).toEqual(['X: Could not find tweet with referenced_tweets.id: [1].']);
    const clean = await api('POST', ops('query'), { body: { query: { max_results: 5 } } });
    expect(clean.body.data.warnings).toBeUndefined();
  });

  it('refuses bad queries and hostile ids before calling X', async () => {
    const before = timelineCalls();
    for (const query of [
      { account_id: `${user}/../../tweets` },
      { account_id: '1?x=1' },
      { max_results: 4 },
      { max_results: 101 },
      { tweet_fields: ['bogus'] },
      { resource: 'followers' },
      { unknown: true },
    ]) {
      expect((await api('POST', ops('query'), { body: { query } })).status).toBe(400);
    }
    expect((await api('POST', ops('query'), { body: { nope: 1 } })).status).toBe(400);
    expect(timelineCalls()).toBe(before);
  });
});

describe('execute', () => {
  it('publishes a post, visible at X and first on the timeline', async () => {
    const res = await api('POST', ops('execute'), {
      body: { operation: 'create_post', params: { text: 'Hello from Supertrack' } },
    });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({
      operation: 'create_post',
      result: { id: expect.stringMatching(/^[0-9]+$/), text: 'Hello from Supertrack' },
    });
    expect(x.posted.map((t) => t.text)).toContain('Hello from Supertrack');
    const page = await api('POST', ops('query'), { body: { query: { max_results: 5 } } });
    expect(page.body.data.rows[0].id).toBe(res.body.data.result.id);
    // X refuses a duplicate; the refusal comes back, not a 5xx.
    const again = await api('POST', ops('execute'), {
      body: { operation: 'create_post', params: { text: 'Hello from Supertrack' } },
    });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatch(/duplicate/);
  });

  it('refuses unknown operations and bad params', async () => {
    const bad: Array<Record<string, unknown>> = [
      { operation: 'delete_account', params: {} },
      { operation: 'create_post', params: {} },
      { operation: 'create_post', params: { text: '' } },
      { operation: 'create_post', params: { text: 'y'.repeat(281) } },
      { operation: 'create_post', params: { text: 'hi', reply_to: '1' } },
      { operation: 'create_post', params: 'text' },
      { params: { text: 'hi' } },
    ];
    for (const body of bad) expect((await api('POST', ops('execute'), { body })).status).toBe(400);
  });
});

describe('platform failures', () => {
  it('a rate limit answers 429 with X’s reset as Retry-After', async () => {
    x.failNext('rate_limit', /\/tweets$/);
    const res = await api('POST', ops('query'), { body: { query: { account_id: user } } });
    expect(res.status).toBe(429);
    const wait = Number(res.headers.get('retry-after'));
    expect(wait).toBeGreaterThan(800);
    expect(wait).toBeLessThanOrEqual(900);
  });

  it('a one-off 5xx on a read is retried; a persistent one answers 502; a post is never retried', async () => {
    x.failNext('server_error', /\/tweets$/);
    expect((await api('POST', ops('query'), { body: { query: { account_id: user } } })).status).toBe(200);
    for (let i = 0; i < 3; i++) x.failNext('server_error', /\/tweets$/);
    expect((await api('POST', ops('query'), { body: { query: { account_id: user } } })).status).toBe(502);

    const posts = () => x.stats.requests.filter((r) => r.method === 'POST' && r.path === '/2/tweets').length;
    const before = posts();
    x.failNext('server_error', /^\/2\/tweets$/);
    const res = await api('POST', ops('execute'), {
      body: { operation: 'create_post', params: { text: 'Not twice' } },
    });
    expect(res.status).toBe(502);
    expect(posts() - before).toBe(1);
    expect(x.posted.some((t) => t.text === 'Not twice')).toBe(false);
  });

  it('an expired token is renewed once per call, with the rotated refresh token each time', async () => {
    const before = x.stats.refreshes;
    for (let i = 0; i < 2; i++) {
      x.failNext('token_expired', /\/tweets$/);
      const res = await api('POST', ops('query'), { body: { query: { account_id: user } } });
      expect(res.status).toBe(200);
      expect(x.stats.refreshes - before).toBe(i + 1);
    }
    // Really expired at X (not a one-off answer): renewed again, and the post goes through.
    x.expireAccessTokens();
    const res = await api('POST', ops('execute'), {
      body: { operation: 'create_post', params: { text: 'After renewal' } },
    });
    expect(res.status).toBe(200);
    expect(x.stats.refreshes - before).toBe(3);
    x.expireAccessTokens();
    expect((await api('GET', ops('metadata'))).status).toBe(200);
    expect(x.stats.refreshes - before).toBe(4);
    const conn = await api('GET', `/v1/connectors/oauth/${id}`);
    expect(conn.body.data.status).toBe('active');
  });

  it('a grant X no longer honours makes the connection expired: 409 reconnect_required', async () => {
    x.revokeAllGrants();
    x.expireAccessTokens();
    const res = await api('POST', ops('query'), { body: { query: { account_id: user } } });
    expect(res.status).toBe(409);
    expect((await api('GET', `/v1/connectors/oauth/${id}`)).body.data.status).toBe('expired');
    expect((await api('GET', ops('metadata'))).status).toBe(409);
  });
});
