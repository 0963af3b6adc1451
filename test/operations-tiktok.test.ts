// Operations on a TikTok connection through real HTTP: the user, videos paged by TikTok's numeric cursor via
// next_page, publishing from a URL, the {data, error} envelope's failures and rotating refresh tokens.
import { TikTokFake } from './fakes/tiktok';
import { Api } from './support/api';
import { startConnectedHost } from './support/connected';
import { TestIssuer } from './support/issuer';
import { RunningHost } from './support/localHost';

const APP = { client_key: 'ttOpsClientKey', client_secret: 'tiktok-ops-secret-0123456789' };
const VIDEO = {
  video_url: 'https://cdn.example.com/clips/launch.mp4',
  title: 'Launch day #supertrack',
  privacy_level: 'SELF_ONLY',
};

let issuer: TestIssuer;
let tiktok: TikTokFake;
let host: RunningHost;
let api: Api;
let id: string;
let openId: string;

beforeAll(async () => {
  tiktok = await TikTokFake.start();
  tiktok.addApp({ clientId: APP.client_key, clientSecret: APP.client_secret });
  tiktok.verifyUrlPrefix(APP.client_key, 'https://cdn.example.com/clips/');
  openId = tiktok.user.open_id;
  ({ issuer, host, api, id } = await startConnectedHost(tiktok, 'tiktok', APP));
});

afterAll(async () => {
  await host?.stop();
  await tiktok?.close();
  await issuer?.close();
});

const ops = (path: string) => `/v1/connectors/operations/${id}/${path}`;
const withSession = (session: string) => ({ headers: { 'x-session-id': session } });
const calls = (path: string) => tiktok.stats.requests.filter((r) => r.path === path).length;

/** Runs a query and follows next_page to the end; returns every row and the session. */
async function walk(query: Record<string, unknown>) {
  const first = await api('POST', ops('query'), { body: { query } });
  expect(first.status).toBe(200);
  const session: string = first.body.metadata.session_id;
  const rows: Array<Record<string, unknown>> = [...first.body.data.rows];
  let cursor: string | null = first.body.data.next_cursor;
  let pages = 1;
  while (cursor) {
    const next = await api('POST', ops('message'), {
      body: { type: 'next_page', cursor },
      ...withSession(session),
    });
    expect(next.status).toBe(200);
    rows.push(...next.body.data.rows);
    cursor = next.body.data.next_cursor;
    pages++;
  }
  return { rows, session, pages };
}

describe('metadata and account', () => {
  it('lists the connected user by open_id, the query schema and publish_video', async () => {
    const res = await api('GET', ops('metadata'));
    expect(res.status).toBe(200);
    expect(res.body.data.connector_type).toBe('tiktok');
    expect(res.body.data.accounts).toEqual([
      expect.objectContaining({ id: openId, kind: 'user', name: tiktok.user.display_name }),
    ]);
    expect(res.body.data.query_schema.properties.max_count).toEqual(
      expect.objectContaining({ minimum: 1, maximum: 20 }),
    );
    expect(Object.keys(res.body.data.execute_operations)).toEqual(['publish_video']);
  });

  it('selects only the connected user', async () => {
    const res = await api('POST', ops('account'), { body: { account_id: openId } });
    expect(res.status).toBe(200);
    const state = await api('GET', ops('state'), withSession(res.body.metadata.session_id));
    expect(state.body.data.account_id).toBe(openId);
    for (const account_id of ['-000aSomeoneElse', '../user/info/']) {
      expect((await api('POST', ops('account'), { body: { account_id } })).status).toBe(400);
    }
  });
});

describe('query and next_page', () => {
  it('walks the 23 videos five at a time, each exactly once, counts as numbers', async () => {
    const { rows, session, pages } = await walk({ resource: 'videos', max_count: 5 });
    expect(pages).toBe(5);
    expect(rows).toHaveLength(23);
    expect(rows.map((r) => r.id)).toEqual(tiktok.videos.map((v) => v.id));
    expect(rows[0]).toEqual(
      expect.objectContaining({
        id: expect.any(String),
        create_time: expect.any(Number),
        title: expect.any(String),
        view_count: expect.any(Number),
        like_count: expect.any(Number),
      }),
    );
    const done = await api('POST', ops('message'), { body: { type: 'next_page' }, ...withSession(session) });
    expect(done.status).toBe(409);
    const state = await api('GET', ops('state'), withSession(session));
    expect(state.body.data).toEqual(
      expect.objectContaining({ last_query: { resource: 'videos', max_count: 5 }, next_cursor: null }),
    );
  });

  it('asks for the fields named (id always) and 20 per page by default', async () => {
    const { rows, pages } = await walk({ fields: ['title', 'share_url'] });
    expect(pages).toBe(2);
    expect(rows).toHaveLength(23);
    expect(Object.keys(rows[0]).sort()).toEqual(['id', 'share_url', 'title']);
  });

  it('refuses bad queries before calling TikTok', async () => {
    const before = calls('/v2/video/list/');
    for (const query of [
      { max_count: 0 },
      { max_count: 21 },
      { fields: ['bogus'] },
      { fields: ['id,open_id'] },
      { account_id: openId },
      { resource: 'comments' },
    ]) {
      expect((await api('POST', ops('query'), { body: { query } })).status).toBe(400);
    }
    expect(calls('/v2/video/list/')).toBe(before);
  });
});

describe('execute', () => {
  it('starts a publish TikTok pulls from the URL, visible at TikTok (202: TikTok then processes it)', async () => {
    const res = await api('POST', ops('execute'), { body: { operation: 'publish_video', params: VIDEO } });
    expect(res.status).toBe(202);
    const published = tiktok.publishes[tiktok.publishes.length - 1];
    expect(res.body.data.result).toEqual({ publish_id: published.publish_id, status: 'in_progress' });
    expect(published).toEqual(
      expect.objectContaining({ title: VIDEO.title, privacy_level: 'SELF_ONLY', video_url: VIDEO.video_url }),
    );
    expect(published.body).toEqual({
      post_info: { title: VIDEO.title, privacy_level: 'SELF_ONLY' },
      source_info: { source: 'PULL_FROM_URL', video_url: VIDEO.video_url },
    });
  });

  it('refuses unknown operations and bad params', async () => {
    const count = tiktok.publishes.length;
    const bad: Array<Record<string, unknown>> = [
      { ...VIDEO, video_url: 'http://cdn.example.com/a.mp4' },
      { ...VIDEO, video_url: 'file:///etc/passwd' },
      { ...VIDEO, video_url: 'https://cdn.example.com/a b.mp4' },
      { ...VIDEO, privacy_level: 'FRIENDS' },
      { ...VIDEO, title: 't'.repeat(2201) },
      { video_url: VIDEO.video_url, privacy_level: 'SELF_ONLY' },
      { ...VIDEO, source: 'FILE_UPLOAD' },
    ];
    for (const params of bad) {
      expect(
        (await api('POST', ops('execute'), { body: { operation: 'publish_video', params } })).status,
      ).toBe(400);
    }
    expect((await api('POST', ops('execute'), { body: { operation: 'upload', params: {} } })).status).toBe(
      400,
    );
    expect(tiktok.publishes).toHaveLength(count);
  });
});

describe('platform failures', () => {
  const query = { body: { query: { max_count: 5 } } };

  it('rate_limit_exceeded answers 429 with a Retry-After', async () => {
    tiktok.failNext('rate_limit', /video\/list/);
    const res = await api('POST', ops('query'), query);
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBe(60);
  });

  it('a one-off 5xx on the video list (a POST that reads) is retried; a persistent one answers 502', async () => {
    tiktok.failNext('server_error', /video\/list/);
    expect((await api('POST', ops('query'), query)).status).toBe(200);
    for (let i = 0; i < 3; i++) tiktok.failNext('server_error', /video\/list/);
    expect((await api('POST', ops('query'), query)).status).toBe(502);
  });

  it('a publish is never retried', async () => {
    const count = tiktok.publishes.length;
    const before = calls('/v2/post/publish/video/init/');
    tiktok.failNext('server_error', /video\/init/);
    const res = await api('POST', ops('execute'), { body: { operation: 'publish_video', params: VIDEO } });
    expect(res.status).toBe(502);
    expect(calls('/v2/post/publish/video/init/') - before).toBe(1);
    expect(tiktok.publishes).toHaveLength(count);
  });

  it('an invalid token is renewed once per call, with the rotated refresh token each time', async () => {
    const before = tiktok.stats.refreshes;
    for (let i = 0; i < 2; i++) {
      tiktok.failNext('token_expired', /video\/list/);
      expect((await api('POST', ops('query'), query)).status).toBe(200);
      expect(tiktok.stats.refreshes - before).toBe(i + 1);
    }
    tiktok.expireAccessTokens();
    expect(
      (await api('POST', ops('execute'), { body: { operation: 'publish_video', params: VIDEO } })).status,
    ).toBe(202);
    tiktok.expireAccessTokens();
    expect((await api('GET', ops('metadata'))).status).toBe(200);
    expect(tiktok.stats.refreshes - before).toBe(4);
    expect((await api('GET', `/v1/connectors/oauth/${id}`)).body.data.status).toBe('active');
  });
});
