import { createHash } from 'node:crypto';
import { pkceChallenge } from './fakes/http';
import { TikTokFake } from './fakes/tiktok';

const APP = {
  clientId: 'tt-client-key',
  clientSecret: 'tt-secret',
  redirectUris: ['https://app.example/cb/tiktok/'],
};
const REDIRECT = APP.redirectUris[0];
const SCOPES = 'user.info.basic,video.list,video.publish';
const VERIFIER = 'tiktok-verifier-0123456789-0123456789-0123456789';
const VIDEO_FIELDS = 'id,title,create_time,view_count,like_count,comment_count,share_count';

type Json = Record<string, unknown>;

interface TokenBody {
  access_token: string;
  expires_in: number;
  open_id: string;
  refresh_expires_in: number;
  refresh_token: string;
  scope: string;
  token_type: string;
}

interface Envelope<T = Json> {
  data: T;
  error: { code: string; message: string; log_id: string };
}

interface VideoPage {
  videos: Array<{ id: string; create_time: number; title: string }>;
  cursor: number;
  has_more: boolean;
}

async function json<T = Json>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

describe('TikTokFake', () => {
  let fake: TikTokFake;
  let now: number;

  beforeEach(async () => {
    now = Date.UTC(2026, 2, 1, 12, 0, 0);
    fake = await TikTokFake.start({ clock: () => now });
    fake.addApp(APP);
    fake.verifyUrlPrefix(APP.clientId, 'https://cdn.example/');
  });

  afterEach(async () => {
    await fake.close();
  });

  function authorizeUrl(overrides: Record<string, string | undefined> = {}, base = fake.url): string {
    const params: Record<string, string | undefined> = {
      client_key: APP.clientId,
      scope: SCOPES,
      response_type: 'code',
      redirect_uri: REDIRECT,
      state: 'tt-state',
      ...overrides,
    };
    const url = new URL(`${base}/v2/auth/authorize/`);
    for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
    return url.toString();
  }

  async function authorize(overrides: Record<string, string | undefined> = {}): Promise<URL> {
    const res = await fetch(authorizeUrl(overrides), { redirect: 'manual' });
    expect(res.status).toBe(302);
    return new URL(res.headers.get('location') ?? '');
  }

  function oauth(path: 'token' | 'revoke', fields: Record<string, string>): Promise<Response> {
    return fetch(`${fake.url}/v2/oauth/${path}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields),
    });
  }

  function exchange(code: string, overrides: Record<string, string> = {}): Promise<Response> {
    return oauth('token', {
      client_key: APP.clientId,
      client_secret: APP.clientSecret,
      code,
      grant_type: 'authorization_code',
      redirect_uri: REDIRECT,
      ...overrides,
    });
  }

  function refresh(refreshToken: string): Promise<Response> {
    return oauth('token', {
      client_key: APP.clientId,
      client_secret: APP.clientSecret,
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
    });
  }

  async function connect(scope = SCOPES): Promise<TokenBody> {
    const code = (await authorize({ scope })).searchParams.get('code') ?? '';
    return json<TokenBody>(await exchange(code));
  }

  function api(pathAndQuery: string, token: string, init: RequestInit = {}): Promise<Response> {
    return fetch(`${fake.env().CONNECTOR_TIKTOK_API_URL}${pathAndQuery}`, {
      ...init,
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json; charset=UTF-8',
        ...init.headers,
      },
    });
  }

  function listVideos(token: string, body: Json, fields = VIDEO_FIELDS): Promise<Response> {
    return api(`/video/list/?fields=${fields}`, token, { method: 'POST', body: JSON.stringify(body) });
  }

  it('serves the env the service reads', () => {
    expect(fake.env()).toEqual({
      CONNECTOR_TIKTOK_AUTHORIZE_URL: `${fake.url}/v2/auth/authorize/`,
      CONNECTOR_TIKTOK_TOKEN_URL: `${fake.url}/v2/oauth/token/`,
      CONNECTOR_TIKTOK_REVOKE_URL: `${fake.url}/v2/oauth/revoke/`,
      CONNECTOR_TIKTOK_API_URL: `${fake.url}/v2`,
    });
  });

  it('runs the whole flow: code, exchange, user info, rotating refresh, expiry, revocation', async () => {
    const back = await authorize();
    expect(`${back.origin}${back.pathname}`).toBe(REDIRECT);
    expect(back.searchParams.get('state')).toBe('tt-state');
    expect(back.searchParams.get('scopes')).toBe(SCOPES);
    const code = back.searchParams.get('code') ?? '';
    expect(code).toMatch(/\*3!\d+$/); // decoded from the redirect, as TikTok's codes need

    // TikTok reports token errors in the body of an HTTP 200.
    const wrongSecret = await exchange(code, { client_secret: 'nope' });
    expect(wrongSecret.status).toBe(200);
    expect(await json(wrongSecret)).toEqual({
      error: 'invalid_client',
      error_description: 'Client key or secret is incorrect.',
      log_id: expect.stringMatching(/^20260301120000[0-9A-F]+$/),
    });
    const wrongRedirect = await exchange(code, { redirect_uri: 'https://app.example/cb/tiktok' });
    expect(await json(wrongRedirect)).toMatchObject({ error: 'invalid_grant' });

    const ok = await exchange(code);
    expect(ok.status).toBe(200);
    const tokens = await json<TokenBody>(ok);
    expect(tokens).toEqual({
      access_token: expect.stringMatching(/^act\./),
      expires_in: 86_400,
      open_id: fake.user.open_id,
      refresh_expires_in: 15_552_000,
      refresh_token: expect.stringMatching(/^rft\./),
      scope: SCOPES,
      token_type: 'Bearer',
    });
    expect(await json(await exchange(code))).toMatchObject({
      error: 'invalid_grant',
      error_description: 'Authorization code is expired.',
    });

    const info = await api(
      '/user/info/?fields=open_id,union_id,avatar_url,display_name',
      tokens.access_token,
    );
    expect(info.status).toBe(200);
    expect(await json(info)).toEqual({
      data: {
        user: {
          open_id: fake.user.open_id,
          union_id: fake.user.union_id,
          avatar_url: fake.user.avatar_url,
          display_name: 'Supertrack Sandbox',
        },
      },
      error: { code: 'ok', message: '', log_id: expect.any(String) },
    });

    const refreshed = await refresh(tokens.refresh_token);
    const rotated = await json<TokenBody>(refreshed);
    expect(rotated.refresh_token).toMatch(/^rft\./);
    expect(rotated.refresh_token).not.toBe(tokens.refresh_token);
    expect(await json(await refresh(tokens.refresh_token))).toMatchObject({
      error: 'invalid_grant',
      error_description: 'Refresh token is invalid or expired.',
    });
    expect(fake.stats.refreshes).toBe(1);

    fake.expireAccessTokens();
    const expired = await api('/user/info/?fields=open_id', rotated.access_token);
    expect(expired.status).toBe(401);
    expect(await json(expired)).toEqual({
      data: {},
      error: {
        code: 'access_token_invalid',
        message: 'The access token is invalid or not found in the request.',
        log_id: expect.any(String),
      },
    });

    const fresh = await json<TokenBody>(await refresh(rotated.refresh_token));
    const revoke = await oauth('revoke', {
      client_key: APP.clientId,
      client_secret: APP.clientSecret,
      token: fresh.access_token,
    });
    expect(revoke.status).toBe(200);
    expect(await json(revoke)).toEqual({});
    expect((await api('/user/info/?fields=open_id', fresh.access_token)).status).toBe(401);
    expect(await json(await refresh(fresh.refresh_token))).toMatchObject({ error: 'invalid_grant' });
    expect(fake.stats).toMatchObject({ authorizations: 1, codeExchanges: 1, refreshes: 2, revocations: 1 });
    expect(fake.stats.requests.every((r) => !r.path.includes('?'))).toBe(true);
  });

  it('checks the PKCE verifier when a challenge was sent', async () => {
    const code = (
      await authorize({ code_challenge: pkceChallenge(VERIFIER), code_challenge_method: 'S256' })
    ).searchParams.get('code');
    expect(await json(await exchange(code ?? ''))).toMatchObject({ error: 'invalid_grant' });
    expect(await json(await exchange(code ?? '', { code_verifier: `${VERIFIER}0` }))).toMatchObject({
      error: 'invalid_grant',
    });
    expect(await json(await exchange(code ?? '', { code_verifier: VERIFIER }))).toMatchObject({
      token_type: 'Bearer',
    });

    const hex = createHash('sha256').update(VERIFIER).digest('hex');
    const hexCode = (
      await authorize({ code_challenge: hex, code_challenge_method: 'S256' })
    ).searchParams.get('code');
    expect(await json(await exchange(hexCode ?? '', { code_verifier: VERIFIER }))).toMatchObject({
      token_type: 'Bearer',
    });
  });

  it('expires codes, and revokeAllGrants kills refresh tokens', async () => {
    const tokens = await connect();
    fake.revokeAllGrants();
    expect(await json(await refresh(tokens.refresh_token))).toMatchObject({ error: 'invalid_grant' });

    const code = (await authorize()).searchParams.get('code') ?? '';
    now += 601_000;
    expect(await json(await exchange(code))).toMatchObject({ error: 'invalid_grant' });
  });

  it('issues client access tokens to Research API clients only, and they open no user endpoint', async () => {
    const request = {
      client_key: APP.clientId,
      client_secret: APP.clientSecret,
      grant_type: 'client_credentials',
    };
    expect(await json(await oauth('token', request))).toMatchObject({ error: 'unauthorized_client' });
    fake.grantClientTokens(APP.clientId);
    const res = await oauth('token', {
      client_key: APP.clientId,
      client_secret: APP.clientSecret,
      grant_type: 'client_credentials',
    });
    const body = await json<{ access_token: string; expires_in: number; token_type: string }>(res);
    expect(body).toEqual({
      access_token: expect.stringMatching(/^clt\./),
      expires_in: 7200,
      token_type: 'Bearer',
    });
    expect((await api('/user/info/?fields=open_id', body.access_token)).status).toBe(401);
    const bad = await oauth('token', {
      client_key: APP.clientId,
      client_secret: 'x',
      grant_type: 'client_credentials',
    });
    expect(await json(bad)).toMatchObject({ error: 'invalid_client' });
  });

  it('refuses bad authorize requests and redirects a refusal', async () => {
    for (const overrides of [
      { client_key: 'nobody' },
      { redirect_uri: 'https://evil.example/' },
      { response_type: 't' },
    ]) {
      const res = await fetch(authorizeUrl(overrides), { redirect: 'manual' });
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
    }
    fake.denyNextConsent();
    const denied = await authorize();
    expect(denied.searchParams.get('error')).toBe('access_denied');
    expect(denied.searchParams.get('error_description')).toEqual(expect.any(String));
    expect(denied.searchParams.get('state')).toBe('tt-state');
    expect(denied.searchParams.get('code')).toBeNull();
  });

  it('needs the trailing slash on every path', async () => {
    const { access_token } = await connect();
    expect((await api('/user/info?fields=open_id', access_token)).status).toBe(404);
    const token = await fetch(`${fake.url}/v2/oauth/token`, {
      method: 'POST',
      body: new URLSearchParams({}),
    });
    expect(token.status).toBe(404);
  });

  it('walks the video list by cursor, every video exactly once', async () => {
    const { access_token } = await connect();
    const seen: string[] = [];
    let cursor: number | undefined;
    let pages = 0;
    for (;;) {
      const res = await listVideos(
        access_token,
        cursor === undefined ? { max_count: 10 } : { max_count: 10, cursor },
      );
      expect(res.status).toBe(200);
      const { data, error } = await json<Envelope<VideoPage>>(res);
      expect(error.code).toBe('ok');
      seen.push(...data.videos.map((v) => v.id));
      expect(typeof data.cursor).toBe('number');
      pages++;
      if (!data.has_more) break;
      cursor = data.cursor;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(fake.videos.map((v) => v.id));
    expect(new Set(seen).size).toBe(23);

    const tooMany = await listVideos(access_token, { max_count: 21 });
    expect(tooMany.status).toBe(400);
    expect(await json(tooMany)).toMatchObject({ data: {}, error: { code: 'invalid_params' } });
    expect((await listVideos(access_token, {}, 'id,plays')).status).toBe(400);
  });

  it('answers missing scopes with scope_not_authorized', async () => {
    const { access_token } = await connect('user.info.basic');
    const list = await listVideos(access_token, {});
    expect(list.status).toBe(401);
    expect(await json(list)).toMatchObject({ error: { code: 'scope_not_authorized' } });
    const stats = await api('/user/info/?fields=open_id,follower_count', access_token);
    expect(await json(stats)).toMatchObject({ error: { code: 'scope_permission_missed' } });
  });

  it('starts a pull-from-URL publish with video.publish only', async () => {
    const publish = (token: string, body: Json) =>
      api('/post/publish/video/init/', token, { method: 'POST', body: JSON.stringify(body) });
    const request = {
      post_info: { title: 'Sandbox clip', privacy_level: 'SELF_ONLY' },
      source_info: { source: 'PULL_FROM_URL', video_url: 'https://cdn.example/clip.mp4' },
    };
    const { access_token } = await connect();
    const unqueried = await publish(access_token, request);
    expect(unqueried.status).toBe(400);
    expect(await json(unqueried)).toMatchObject({ error: { code: 'invalid_params' } });
    expect((await api('/post/publish/creator_info/query/', access_token, { method: 'POST' })).status).toBe(
      200,
    );
    const res = await publish(access_token, request);
    expect(res.status).toBe(200);
    const body = await json<Envelope<{ publish_id: string }>>(res);
    expect(body.data.publish_id).toMatch(/^v_pub_url~v2\.\d+$/);
    expect(fake.publishes).toEqual([
      expect.objectContaining({
        publish_id: body.data.publish_id,
        video_url: 'https://cdn.example/clip.mp4',
      }),
    ]);
    const invalid = await publish(access_token, {
      ...request,
      post_info: { title: 'x', privacy_level: 'EVERYONE' },
    });
    expect(invalid.status).toBe(400);
    expect(await json(invalid)).toMatchObject({ error: { code: 'invalid_params' } });

    const readOnly = await connect('user.info.basic,video.list');
    const refused = await publish(readOnly.access_token, request);
    expect(refused.status).toBe(401);
    expect(await json(refused)).toMatchObject({ data: {}, error: { code: 'scope_not_authorized' } });
    expect(fake.publishes).toHaveLength(1);
  });

  describe('Direct Post', () => {
    const request = (privacy_level: string) => ({
      post_info: { title: 'Sandbox clip', privacy_level },
      source_info: { source: 'PULL_FROM_URL', video_url: 'https://cdn.example/clip.mp4' },
    });
    const post = (path: string, token: string, body?: Json) =>
      api(`/post/publish/${path}/`, token, { method: 'POST', body: body && JSON.stringify(body) });
    const creatorInfo = async (token: string) =>
      (await json<Envelope>(await post('creator_info/query', token))).data;

    it("gives the creator's options, which depend on whether the account is private", async () => {
      const { access_token } = await connect();
      expect(await creatorInfo(access_token)).toEqual({
        creator_avatar_url: fake.user.avatar_url,
        creator_username: fake.user.username,
        creator_nickname: fake.user.display_name,
        privacy_level_options: ['PUBLIC_TO_EVERYONE', 'MUTUAL_FOLLOW_FRIENDS', 'SELF_ONLY'],
        comment_disabled: false,
        duet_disabled: false,
        stitch_disabled: true,
        max_video_post_duration_sec: 600,
      });
      fake.setAccountPrivate(true);
      expect((await creatorInfo(access_token)).privacy_level_options).toEqual([
        'FOLLOWER_OF_CREATOR',
        'MUTUAL_FOLLOW_FRIENDS',
        'SELF_ONLY',
      ]);
      const mismatch = await post('video/init', access_token, request('PUBLIC_TO_EVERYONE'));
      expect(mismatch.status).toBe(400);
      expect(await json(mismatch)).toMatchObject({ error: { code: 'privacy_level_option_mismatch' } });
      expect(fake.publishes).toHaveLength(0);
    });

    it('an unaudited client posts only SELF_ONLY, and only to a private account', async () => {
      fake.setAudited(APP.clientId, false);
      const { access_token } = await connect();
      await creatorInfo(access_token);
      const refused = async (privacy: string) => {
        const res = await post('video/init', access_token, request(privacy));
        expect(res.status).toBe(403);
        expect(await json(res)).toMatchObject({
          error: { code: 'unaudited_client_can_only_post_to_private_accounts' },
        });
      };
      await refused('SELF_ONLY'); // the account is public
      fake.setAccountPrivate(true);
      await refused('FOLLOWER_OF_CREATOR');
      expect((await post('video/init', access_token, request('SELF_ONLY'))).status).toBe(200);
      expect(fake.publishes).toHaveLength(1);
    });

    it('takes 6 inits a minute per token, sliding', async () => {
      const first = await connect();
      const second = await connect();
      await creatorInfo(first.access_token);
      await creatorInfo(second.access_token);
      for (let i = 0; i < 6; i++) {
        expect((await post('video/init', first.access_token, request('SELF_ONLY'))).status).toBe(200);
        now += 5_000;
      }
      const limited = await post('video/init', first.access_token, request('SELF_ONLY'));
      expect(limited.status).toBe(429);
      expect(await json(limited)).toMatchObject({ error: { code: 'rate_limit_exceeded' } });
      expect((await post('video/init', second.access_token, request('SELF_ONLY'))).status).toBe(200);
      now += 36_000; // the first two inits left the window (the refused one still counts in it)
      expect((await post('video/init', first.access_token, request('SELF_ONLY'))).status).toBe(200);
    });

    it('reports the status: processing, then complete (post ids as int64 for a public post), or failed', async () => {
      const { access_token } = await connect();
      await creatorInfo(access_token);
      const init = async (privacy: string) =>
        (
          await json<Envelope<{ publish_id: string }>>(
            await post('video/init', access_token, request(privacy)),
          )
        ).data.publish_id;
      const status = async (publish_id: string) => {
        const res = await post('status/fetch', access_token, { publish_id });
        return { status: res.status, text: await res.text() };
      };
      const id = await init('PUBLIC_TO_EVERYONE');
      const processing = JSON.parse((await status(id)).text) as Envelope;
      expect(processing.data).toEqual(
        expect.objectContaining({ status: 'PROCESSING_DOWNLOAD', publicaly_available_post_id: [] }),
      );
      now += 30_000;
      const done = await status(id);
      expect(JSON.parse(done.text)).toMatchObject({ data: { status: 'PUBLISH_COMPLETE' } });
      expect(done.text).toContain(`"publicaly_available_post_id":[${fake.publishes[0].postId}]`);

      fake.failNextPublish('duration_check_failed');
      const failed = await status(await init('SELF_ONLY'));
      expect(JSON.parse(failed.text)).toMatchObject({
        data: { status: 'FAILED', fail_reason: 'duration_check_failed', publicaly_available_post_id: [] },
      });
      const unknown = await status('v_pub_url~v2.1');
      expect(unknown.status).toBe(400);
      const other = await connect();
      expect((await post('status/fetch', other.access_token, { publish_id: id })).status).toBe(200);
    });
  });

  it('answers each queued fault in the TikTok envelope', async () => {
    const { access_token } = await connect();
    fake.failNext('rate_limit', /video\/list/);
    expect((await api('/user/info/?fields=open_id', access_token)).status).toBe(200);
    const limited = await listVideos(access_token, {});
    expect(limited.status).toBe(429);
    expect(await json(limited)).toEqual({
      data: {},
      error: {
        code: 'rate_limit_exceeded',
        message: expect.stringMatching(/^The API rate limit was exceeded/),
        log_id: expect.any(String),
      },
    });

    fake.failNext('server_error');
    const down = await listVideos(access_token, {});
    expect(down.status).toBe(500);
    expect(await json(down)).toMatchObject({ data: {}, error: { code: 'internal_error' } });

    fake.failNext('token_expired');
    const expired = await api('/user/info/?fields=open_id', access_token);
    expect(expired.status).toBe(401);
    expect(await json(expired)).toMatchObject({
      data: {},
      error: {
        code: 'access_token_invalid',
        message: 'The access token is invalid or not found in the request.',
      },
    });
    expect((await listVideos(access_token, {})).status).toBe(200);
  });

  it('shows a consent page when interactive', async () => {
    const interactive = await TikTokFake.start({ interactiveConsent: true });
    try {
      interactive.addApp(APP);
      const page = await fetch(authorizeUrl({}, interactive.url), { redirect: 'manual' });
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain('Allow');
      const allowHref = (html.match(/id="allow" href="([^"]+)"/)?.[1] ?? '').replace(/&#38;/g, '&');
      const allowed = await fetch(`${interactive.url}${allowHref}`, { redirect: 'manual' });
      expect(allowed.status).toBe(302);
      expect(new URL(allowed.headers.get('location') ?? '').searchParams.get('code')).not.toBeNull();
    } finally {
      await interactive.close();
    }
  });
});
