import { pkceChallenge } from './fakes/http';
import { XFake } from './fakes/x';

const APP = { clientId: 'x-client', clientSecret: 'x-secret', redirectUris: ['https://app.example/cb/x'] };
const REDIRECT = APP.redirectUris[0];
const VERIFIER = 'verifier-0123456789-0123456789-0123456789-abcdef';
const ALL_SCOPES = 'tweet.read users.read tweet.write offline.access';

type Json = Record<string, unknown>;

interface TokenBody {
  token_type: string;
  expires_in: number;
  access_token: string;
  scope: string;
  refresh_token?: string;
}

interface TimelineBody {
  data?: Array<{ id: string; text: string; created_at?: string; public_metrics?: Json }>;
  meta: { result_count: number; newest_id?: string; oldest_id?: string; next_token?: string };
}

function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
}

async function json<T = Json>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

describe('XFake', () => {
  let fake: XFake;
  let now: number;

  beforeEach(async () => {
    now = Date.UTC(2026, 2, 1, 12, 0, 0);
    fake = await XFake.start({ clock: () => now });
    fake.addApp(APP);
  });

  afterEach(async () => {
    await fake.close();
  });

  function authorizeUrl(overrides: Record<string, string | undefined> = {}): string {
    const params: Record<string, string | undefined> = {
      response_type: 'code',
      client_id: APP.clientId,
      redirect_uri: REDIRECT,
      scope: ALL_SCOPES,
      state: 'st-1',
      code_challenge: pkceChallenge(VERIFIER),
      code_challenge_method: 'S256',
      ...overrides,
    };
    const url = new URL(fake.env().CONNECTOR_TWITTER_AUTHORIZE_URL);
    for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
    return url.toString();
  }

  async function authorize(overrides: Record<string, string | undefined> = {}): Promise<URL> {
    const res = await fetch(authorizeUrl(overrides), { redirect: 'manual' });
    expect(res.status).toBe(302);
    return new URL(res.headers.get('location') ?? '');
  }

  async function tokenCall(form: Record<string, string>, auth = basic(APP.clientId, APP.clientSecret)) {
    return fetch(fake.env().CONNECTOR_TWITTER_TOKEN_URL, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form),
    });
  }

  async function exchange(code: string, overrides: Record<string, string> = {}) {
    return tokenCall({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT,
      code_verifier: VERIFIER,
      ...overrides,
    });
  }

  async function connect(scope = ALL_SCOPES): Promise<TokenBody> {
    const code = (await authorize({ scope })).searchParams.get('code') ?? '';
    const res = await exchange(code);
    expect(res.status).toBe(200);
    return json<TokenBody>(res);
  }

  function api(path: string, token: string, init: RequestInit = {}): Promise<Response> {
    return fetch(`${fake.env().CONNECTOR_TWITTER_API_URL}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, ...init.headers },
    });
  }

  it('serves the env the service reads', () => {
    expect(fake.env()).toEqual({
      CONNECTOR_TWITTER_AUTHORIZE_URL: `${fake.url}/i/oauth2/authorize`,
      CONNECTOR_TWITTER_TOKEN_URL: `${fake.url}/2/oauth2/token`,
      CONNECTOR_TWITTER_REVOKE_URL: `${fake.url}/2/oauth2/revoke`,
      CONNECTOR_TWITTER_API_URL: `${fake.url}/2`,
      CONNECTOR_TWITTER_APP_TOKEN_URL: `${fake.url}/oauth2/token`,
    });
  });

  it('runs the whole authorization code flow with PKCE, rotation, expiry and revocation', async () => {
    const back = await authorize();
    expect(`${back.origin}${back.pathname}`).toBe(REDIRECT);
    expect(back.searchParams.get('state')).toBe('st-1');
    const code = back.searchParams.get('code') ?? '';
    expect(code).not.toBe('');

    // Failures first: none of them spends the code.
    const badAuth = await tokenCall(
      { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: VERIFIER },
      basic(APP.clientId, 'wrong'),
    );
    expect(badAuth.status).toBe(401);
    expect(await json(badAuth)).toEqual({
      error: 'unauthorized_client',
      error_description: 'Missing valid authorization header',
    });
    const noAuth = await tokenCall({ grant_type: 'authorization_code', code }, '');
    expect(noAuth.status).toBe(401);

    const wrongRedirect = await exchange(code, { redirect_uri: 'https://app.example/other' });
    expect(wrongRedirect.status).toBe(400);
    expect(await json(wrongRedirect)).toEqual({
      error: 'invalid_request',
      error_description: 'Value passed for the redirect uri did not match the uri of the authorization code.',
    });
    const wrongVerifier = await exchange(code, { code_verifier: `${VERIFIER}x` });
    expect(wrongVerifier.status).toBe(400);
    expect(await json(wrongVerifier)).toMatchObject({ error: 'invalid_request' });
    const missingVerifier = await tokenCall({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT,
    });
    expect(await json(missingVerifier)).toEqual({
      error: 'invalid_request',
      error_description: 'Missing required parameter [code_verifier].',
    });

    const ok = await exchange(code);
    expect(ok.status).toBe(200);
    const tokens = await json<TokenBody>(ok);
    expect(tokens).toEqual({
      token_type: 'bearer',
      expires_in: 7200,
      access_token: expect.any(String),
      scope: ALL_SCOPES,
      refresh_token: expect.any(String),
    });
    const reused = await exchange(code);
    expect(reused.status).toBe(400);
    expect(await json(reused)).toEqual({
      error: 'invalid_request',
      error_description: 'Value passed for the authorization code was invalid.',
    });

    const me = await api('/users/me', tokens.access_token);
    expect(me.status).toBe(200);
    expect(await json(me)).toEqual({
      data: { id: fake.user.id, name: fake.user.name, username: fake.user.username },
    });
    expect(me.headers.get('x-rate-limit-limit')).toBe('75');
    expect(me.headers.get('x-rate-limit-remaining')).toBe('74');
    expect(Number(me.headers.get('x-rate-limit-reset'))).toBe(Math.ceil(now / 1000) + 900);

    const refreshed = await tokenCall({
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token ?? '',
    });
    expect(refreshed.status).toBe(200);
    const rotated = await json<TokenBody>(refreshed);
    expect(rotated.refresh_token).toEqual(expect.any(String));
    expect(rotated.refresh_token).not.toBe(tokens.refresh_token);
    expect(rotated.access_token).not.toBe(tokens.access_token);
    const replay = await tokenCall({
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token ?? '',
    });
    expect(replay.status).toBe(400);
    expect(await json(replay)).toEqual({
      error: 'invalid_request',
      error_description: 'Value passed for the token was invalid.',
    });
    expect(fake.stats.refreshes).toBe(1);

    fake.expireAccessTokens();
    const expired = await api('/users/me', rotated.access_token);
    expect(expired.status).toBe(401);
    expect(await json(expired)).toEqual({
      title: 'Unauthorized',
      type: 'about:blank',
      status: 401,
      detail: 'Unauthorized',
    });

    const revoke = await fetch(fake.env().CONNECTOR_TWITTER_REVOKE_URL, {
      method: 'POST',
      headers: { authorization: basic(APP.clientId, APP.clientSecret) },
      body: new URLSearchParams({ token: rotated.refresh_token ?? '', token_type_hint: 'refresh_token' }),
    });
    expect(revoke.status).toBe(200);
    expect(await json(revoke)).toEqual({ revoked: true });
    const afterRevoke = await tokenCall({
      grant_type: 'refresh_token',
      refresh_token: rotated.refresh_token ?? '',
    });
    expect(afterRevoke.status).toBe(400);

    expect(fake.stats).toMatchObject({ authorizations: 1, codeExchanges: 1, refreshes: 1, revocations: 1 });
    expect(fake.stats.requests.every((r) => !r.path.includes('?'))).toBe(true);
    expect(fake.stats.requests).toContainEqual({ method: 'GET', path: '/i/oauth2/authorize' });
  });

  it('issues no refresh token without offline.access, and rejects codes bound to another client', async () => {
    const tokens = await connect('tweet.read users.read');
    expect(tokens.refresh_token).toBeUndefined();
    expect(tokens.scope).toBe('tweet.read users.read');

    fake.addApp({ clientId: 'other', clientSecret: 'other-secret' });
    const code = (await authorize()).searchParams.get('code') ?? '';
    const res = await tokenCall(
      { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: VERIFIER },
      basic('other', 'other-secret'),
    );
    expect(res.status).toBe(400);
  });

  it('expires codes after the configured life', async () => {
    const code = (await authorize()).searchParams.get('code') ?? '';
    now += 601_000;
    const res = await exchange(code);
    expect(res.status).toBe(400);
    expect(await json(res)).toMatchObject({ error: 'invalid_request' });
  });

  it('accepts the plain PKCE method', async () => {
    const code = (
      await authorize({ code_challenge: 'challenge', code_challenge_method: 'plain' })
    ).searchParams.get('code');
    expect((await exchange(code ?? '', { code_verifier: 'challenge' })).status).toBe(200);
  });

  it('refuses bad authorize requests with an error page and no redirect', async () => {
    for (const overrides of [
      { client_id: 'nobody' },
      { redirect_uri: 'https://evil.example/cb' },
      { response_type: 'token' },
      { code_challenge: undefined },
      { scope: 'tweet.read nonsense.scope' },
      { state: undefined },
    ]) {
      const res = await fetch(authorizeUrl(overrides), { redirect: 'manual' });
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
      expect(res.headers.get('content-type')).toContain('text/html');
    }
    expect(fake.stats.authorizations).toBe(0);
  });

  it('redirects a refusal with access_denied and the state', async () => {
    fake.denyNextConsent();
    const back = await authorize();
    expect(back.searchParams.get('error')).toBe('access_denied');
    expect(back.searchParams.get('state')).toBe('st-1');
    expect(back.searchParams.get('code')).toBeNull();
    expect((await authorize()).searchParams.get('code')).not.toBeNull();
  });

  it('walks the timeline page by page, every tweet exactly once', async () => {
    const { access_token } = await connect();
    const seen: string[] = [];
    let pageToken: string | undefined;
    let pages = 0;
    do {
      const query = new URLSearchParams({ 'tweet.fields': 'public_metrics,created_at', max_results: '5' });
      if (pageToken) query.set('pagination_token', pageToken);
      const res = await api(`/users/${fake.user.id}/tweets?${query}`, access_token);
      expect(res.status).toBe(200);
      const body = await json<TimelineBody>(res);
      for (const tweet of body.data ?? []) {
        expect(tweet.public_metrics).toEqual(expect.objectContaining({ like_count: expect.any(Number) }));
        expect(tweet.created_at).toMatch(/^\d{4}-\d\d-\d\dT/);
        seen.push(tweet.id);
      }
      expect(body.meta.result_count).toBe(body.data?.length ?? 0);
      pageToken = body.meta.next_token;
      pages++;
    } while (pageToken);
    expect(pages).toBe(5);
    expect(seen).toEqual(fake.tweets.map((t) => t.id));
    expect(new Set(seen).size).toBe(23);
  });

  it('answers bad timeline parameters with the RFC 7807 invalid-request problem', async () => {
    const { access_token } = await connect();
    for (const max of ['3', '101']) {
      const res = await api(`/users/${fake.user.id}/tweets?max_results=${max}`, access_token);
      expect(res.status).toBe(400);
      expect(await json(res)).toEqual({
        errors: [
          { parameters: { max_results: [max] }, message: expect.stringContaining('between 5 and 100') },
        ],
        title: 'Invalid Request',
        detail: 'One or more parameters to your request was invalid.',
        type: 'https://api.twitter.com/2/problems/invalid-request',
        status: 400,
      });
    }
    const badToken = await api(`/users/${fake.user.id}/tweets?pagination_token=nope`, access_token);
    expect(badToken.status).toBe(400);
    const unknownUser = await api('/users/42/tweets', access_token);
    expect(unknownUser.status).toBe(200);
    expect(await json(unknownUser)).toMatchObject({
      errors: [{ resource_id: '42', title: 'Not Found Error' }],
    });
  });

  it('posts tweets with tweet.write and forbids them without', async () => {
    const { access_token } = await connect();
    const post = (token: string, text: string) =>
      api('/tweets', token, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text }),
      });
    const res = await post(access_token, 'hello from the sandbox');
    expect(res.status).toBe(201);
    const body = await json<{ data: { id: string; text: string } }>(res);
    expect(body.data).toMatchObject({ id: expect.stringMatching(/^\d+$/), text: 'hello from the sandbox' });
    expect(fake.posted.map((t) => t.text)).toEqual(['hello from the sandbox']);
    expect(fake.tweets[0].id).toBe(body.data.id);
    expect((await post(access_token, 'hello from the sandbox')).status).toBe(403);

    const readOnly = await connect('tweet.read users.read');
    const forbidden = await post(readOnly.access_token, 'not allowed');
    expect(forbidden.status).toBe(403);
    expect(await json(forbidden)).toEqual({
      title: 'Forbidden',
      type: 'about:blank',
      status: 403,
      detail: 'Forbidden',
    });
  });

  it('answers each queued fault in X shape, only on matching API paths', async () => {
    const { access_token } = await connect();
    fake.failNext('rate_limit', /\/tweets$/);
    const unaffected = await api('/users/me', access_token);
    expect(unaffected.status).toBe(200);
    const limited = await api(`/users/${fake.user.id}/tweets`, access_token);
    expect(limited.status).toBe(429);
    expect(await json(limited)).toEqual({
      title: 'Too Many Requests',
      detail: 'Too Many Requests',
      type: 'about:blank',
      status: 429,
    });
    expect(limited.headers.get('x-rate-limit-remaining')).toBe('0');
    const reset = Number(limited.headers.get('x-rate-limit-reset'));
    expect(reset).toBe(Math.floor(now / 1000) + 900);

    fake.failNext('server_error');
    const down = await api('/users/me', access_token);
    expect(down.status).toBe(503);
    expect(await json(down)).toEqual({
      title: 'Service Unavailable',
      detail: 'Service Unavailable',
      type: 'about:blank',
      status: 503,
    });

    fake.failNext('token_expired');
    // OAuth endpoints never take a fault.
    expect((await tokenCall({ grant_type: 'refresh_token', refresh_token: 'x' })).status).toBe(400);
    const expired = await api('/users/me', access_token);
    expect(expired.status).toBe(401);
    expect(await json(expired)).toEqual({
      title: 'Unauthorized',
      type: 'about:blank',
      status: 401,
      detail: 'Unauthorized',
    });
    expect((await api('/users/me', access_token)).status).toBe(200);
  });

  it('issues app-only bearer tokens for the consumer key pair', async () => {
    fake.addConsumerKey('api-key', 'api-secret');
    const call = (auth: string) =>
      fetch(fake.env().CONNECTOR_TWITTER_APP_TOKEN_URL, {
        method: 'POST',
        headers: { authorization: auth },
        body: new URLSearchParams({ grant_type: 'client_credentials' }),
      });
    const denied = await call(basic('api-key', 'wrong'));
    expect(denied.status).toBe(403);
    expect(await json(denied)).toEqual({
      errors: [{ code: 99, message: 'Unable to verify your credentials', label: 'authenticity_token_error' }],
    });
    const ok = await call(basic('api-key', 'api-secret'));
    expect(ok.status).toBe(200);
    const body = await json<{ token_type: string; access_token: string }>(ok);
    expect(body).toEqual({
      token_type: 'bearer',
      access_token: expect.stringMatching(/^AAAAAAAAAAAAAAAAAAAAA/),
    });
    expect(
      (await json<{ access_token: string }>(await call(basic('api-key', 'api-secret')))).access_token,
    ).toBe(body.access_token);

    expect((await api(`/users/${fake.user.id}/tweets`, body.access_token)).status).toBe(200);
    const me = await api('/users/me', body.access_token);
    expect(me.status).toBe(403);
    expect(await json(me)).toMatchObject({ title: 'Unsupported Authentication' });
  });

  it('shows a consent page with working Allow and Deny links when interactive', async () => {
    const interactive = await XFake.start({ interactiveConsent: true });
    try {
      interactive.addApp(APP);
      const url = new URL(authorizeUrl());
      const pageUrl = `${interactive.url}${url.pathname}${url.search}`;
      const page = await fetch(pageUrl, { redirect: 'manual' });
      expect(page.status).toBe(200);
      const html = await page.text();
      const href = (id: string) =>
        (html.match(new RegExp(`id="${id}" href="([^"]+)"`))?.[1] ?? '').replace(/&#38;/g, '&');
      const allow = await fetch(`${interactive.url}${href('allow')}`, { redirect: 'manual' });
      expect(allow.status).toBe(302);
      expect(new URL(allow.headers.get('location') ?? '').searchParams.get('code')).not.toBeNull();
      const deny = await fetch(`${interactive.url}${href('deny')}`, { redirect: 'manual' });
      expect(new URL(deny.headers.get('location') ?? '').searchParams.get('error')).toBe('access_denied');
    } finally {
      await interactive.close();
    }
  });
});
