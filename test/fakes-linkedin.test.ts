import { LinkedInFake, parseRestli } from './fakes/linkedin';

const APP = {
  clientId: 'li-client',
  clientSecret: 'li-secret',
  redirectUris: ['https://app.example/cb/linkedin'],
};
const REDIRECT = APP.redirectUris[0];
const SCOPES = 'openid profile email r_ads r_ads_reporting rw_organization_admin w_organization_social';
const VERSION = '202602';
const REST_HEADERS = { 'LinkedIn-Version': VERSION, 'X-Restli-Protocol-Version': '2.0.0' };
const DAY = 86_400_000;

type Json = Record<string, unknown>;

interface TokenBody {
  access_token: string;
  expires_in: number;
  scope: string;
  refresh_token?: string;
  refresh_token_expires_in?: number;
}

interface Listing {
  elements: Json[];
  paging: { start: number; count: number; total?: number; links: unknown[] };
}

async function json<T = Json>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

const POST_BODY = {
  author: 'urn:li:organization:123',
  commentary: 'Hello from the sandbox',
  visibility: 'PUBLIC',
  distribution: { feedDistribution: 'MAIN_FEED', targetEntities: [], thirdPartyDistributionChannels: [] },
  lifecycleState: 'PUBLISHED',
  isReshareDisabledByAuthor: false,
};

const ANALYTICS_QUERY =
  'q=analytics&pivot=CAMPAIGN&timeGranularity=DAILY' +
  '&dateRange=(start:(year:2026,month:1,day:1),end:(year:2026,month:1,day:31))' +
  '&accounts=List(urn%3Ali%3AsponsoredAccount%3A5001)' +
  '&fields=impressions,clicks,costInLocalCurrency,dateRange,pivotValues';

describe('LinkedInFake', () => {
  let fake: LinkedInFake;
  let now: number;

  beforeEach(async () => {
    now = Date.UTC(2026, 2, 10, 12, 0, 0);
    fake = await LinkedInFake.start({ clock: () => now });
    fake.addApp(APP);
  });

  afterEach(async () => {
    await fake.close();
  });

  function authorizeUrl(overrides: Record<string, string | undefined> = {}, base = fake.url): string {
    const params: Record<string, string | undefined> = {
      response_type: 'code',
      client_id: APP.clientId,
      redirect_uri: REDIRECT,
      scope: SCOPES,
      state: 'li-state',
      ...overrides,
    };
    const url = new URL(`${base}/oauth/v2/authorization`);
    for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
    return url.toString();
  }

  async function authorize(overrides: Record<string, string | undefined> = {}): Promise<URL> {
    const res = await fetch(authorizeUrl(overrides), { redirect: 'manual' });
    expect(res.status).toBe(302);
    return new URL(res.headers.get('location') ?? '');
  }

  function form(path: string, fields: Record<string, string>): Promise<Response> {
    return fetch(`${fake.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields),
    });
  }

  function exchange(code: string, overrides: Record<string, string> = {}): Promise<Response> {
    return form('/oauth/v2/accessToken', {
      grant_type: 'authorization_code',
      code,
      client_id: APP.clientId,
      client_secret: APP.clientSecret,
      redirect_uri: REDIRECT,
      ...overrides,
    });
  }

  function refresh(refreshToken: string): Promise<Response> {
    return form('/oauth/v2/accessToken', {
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      client_id: APP.clientId,
      client_secret: APP.clientSecret,
    });
  }

  async function connect(scope = SCOPES): Promise<TokenBody> {
    const code = (await authorize({ scope })).searchParams.get('code') ?? '';
    const res = await exchange(code);
    expect(res.status).toBe(200);
    return json<TokenBody>(res);
  }

  function api(
    pathAndQuery: string,
    token: string,
    init: RequestInit = {},
    headers: Record<string, string> = REST_HEADERS,
  ) {
    return fetch(`${fake.env().CONNECTOR_LINKEDIN_API_URL}${pathAndQuery}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, ...headers, ...init.headers },
    });
  }

  it('serves the env the service reads', () => {
    expect(fake.env()).toEqual({
      CONNECTOR_LINKEDIN_AUTHORIZE_URL: `${fake.url}/oauth/v2/authorization`,
      CONNECTOR_LINKEDIN_TOKEN_URL: `${fake.url}/oauth/v2/accessToken`,
      CONNECTOR_LINKEDIN_REVOKE_URL: `${fake.url}/oauth/v2/revoke`,
      CONNECTOR_LINKEDIN_API_URL: fake.url,
    });
  });

  it('runs the whole flow: code, exchange, userinfo, refresh without rotation, expiry, revocation', async () => {
    const back = await authorize();
    expect(`${back.origin}${back.pathname}`).toBe(REDIRECT);
    expect(back.searchParams.get('state')).toBe('li-state');
    const code = back.searchParams.get('code') ?? '';

    const wrongSecret = await exchange(code, { client_secret: 'nope' });
    expect(wrongSecret.status).toBe(401);
    expect(await json(wrongSecret)).toEqual({
      error: 'invalid_client',
      error_description: 'Client authentication failed',
    });
    const wrongRedirect = await exchange(code, { redirect_uri: 'https://app.example/elsewhere' });
    expect(wrongRedirect.status).toBe(400);
    expect(await json(wrongRedirect)).toEqual({
      error: 'invalid_request',
      error_description: expect.stringMatching(
        /^Unable to retrieve access token: appid\/redirect uri\/code verifier/,
      ),
    });

    const ok = await exchange(code);
    expect(ok.status).toBe(200);
    const tokens = await json<TokenBody>(ok);
    expect(tokens).toEqual({
      access_token: expect.any(String),
      expires_in: 5_184_000,
      scope: 'email,openid,profile,r_ads,r_ads_reporting,rw_organization_admin,w_organization_social',
      refresh_token: expect.any(String),
      refresh_token_expires_in: 31_536_000,
    });
    const reused = await exchange(code);
    expect(reused.status).toBe(400);
    expect(await json(reused)).toMatchObject({ error: 'invalid_request' });

    const me = await api('/v2/userinfo', tokens.access_token, {}, {});
    expect(me.status).toBe(200);
    expect(await json(me)).toEqual({
      sub: fake.member.sub,
      name: 'Sandra Sandbox',
      given_name: 'Sandra',
      family_name: 'Sandbox',
      email: fake.member.email,
      email_verified: true,
      picture: expect.any(String),
      locale: { country: 'US', language: 'en' },
    });

    now += 10 * DAY;
    const refreshed = await refresh(tokens.refresh_token ?? '');
    expect(refreshed.status).toBe(200);
    const again = await json<TokenBody>(refreshed);
    expect(again.refresh_token).toBe(tokens.refresh_token);
    expect(again.refresh_token_expires_in).toBe(31_536_000 - 10 * 86_400);
    expect(again.access_token).not.toBe(tokens.access_token);
    expect((await refresh(tokens.refresh_token ?? '')).status).toBe(200);
    expect(fake.stats.refreshes).toBe(2);

    fake.expireAccessTokens();
    const expired = await api('/v2/userinfo', again.access_token);
    expect(expired.status).toBe(401);
    expect(await json(expired)).toMatchObject({
      serviceErrorCode: 65602,
      message: 'The token used in the request has expired',
      status: 401,
    });
    const unknown = await api('/v2/userinfo', 'not-a-token');
    expect(await json(unknown)).toMatchObject({
      serviceErrorCode: 65600,
      message: 'Invalid access token',
      status: 401,
    });

    const revoke = await form('/oauth/v2/revoke', {
      client_id: APP.clientId,
      client_secret: APP.clientSecret,
      token: tokens.refresh_token ?? '',
    });
    expect(revoke.status).toBe(200);
    const afterRevoke = await refresh(tokens.refresh_token ?? '');
    expect(afterRevoke.status).toBe(400);
    expect(await json(afterRevoke)).toEqual({
      error: 'invalid_grant',
      error_description: 'The provided authorization grant or refresh token is invalid, expired or revoked.',
    });
    expect(fake.stats).toMatchObject({ authorizations: 1, codeExchanges: 1, revocations: 1 });
    expect(fake.stats.requests.every((r) => !r.path.includes('?'))).toBe(true);
  });

  it('checks a PKCE verifier when a challenge was sent, and expires codes', async () => {
    const code = (
      await authorize({ code_challenge: 'plain-challenge', code_challenge_method: 'plain' })
    ).searchParams.get('code');
    expect((await exchange(code ?? '')).status).toBe(400);
    expect((await exchange(code ?? '', { code_verifier: 'wrong' })).status).toBe(400);
    expect((await exchange(code ?? '', { code_verifier: 'plain-challenge' })).status).toBe(200);

    const late = (await authorize()).searchParams.get('code') ?? '';
    now += 601_000;
    expect((await exchange(late)).status).toBe(400);
  });

  it('revokeAllGrants kills refresh tokens; apps without refresh permission get none', async () => {
    const tokens = await connect();
    fake.revokeAllGrants();
    expect(await json(await refresh(tokens.refresh_token ?? ''))).toMatchObject({ error: 'invalid_grant' });

    const plain = await LinkedInFake.start({ refreshTokens: false });
    try {
      plain.addApp(APP);
      const res = await fetch(authorizeUrl({}, plain.url), { redirect: 'manual' });
      const code = new URL(res.headers.get('location') ?? '').searchParams.get('code') ?? '';
      const body = await json(
        await fetch(`${plain.url}/oauth/v2/accessToken`, {
          method: 'POST',
          body: new URLSearchParams({
            grant_type: 'authorization_code',
            code,
            client_id: APP.clientId,
            client_secret: APP.clientSecret,
            redirect_uri: REDIRECT,
          }),
        }),
      );
      expect(body).toEqual({
        access_token: expect.any(String),
        expires_in: 5_184_000,
        scope: expect.any(String),
      });
    } finally {
      await plain.close();
    }
  });

  it('refuses bad authorize requests and reports unknown scopes and refusals on the redirect', async () => {
    for (const overrides of [
      { client_id: 'nobody' },
      { redirect_uri: 'https://evil.example/' },
      { response_type: 'x' },
    ]) {
      const res = await fetch(authorizeUrl(overrides), { redirect: 'manual' });
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
    }
    const scopeError = await authorize({ scope: 'openid r_everything' });
    expect(scopeError.searchParams.get('error')).toBe('unauthorized_scope_error');
    expect(scopeError.searchParams.get('state')).toBe('li-state');

    fake.denyNextConsent();
    const denied = await authorize();
    expect(denied.searchParams.get('error')).toBe('user_cancelled_authorize');
    expect(denied.searchParams.get('error_description')).toBe('The user cancelled the authorization');
    expect(denied.searchParams.get('state')).toBe('li-state');
    expect(denied.searchParams.get('code')).toBeNull();
    expect(fake.stats.authorizations).toBe(0);
  });

  it('insists on the version headers of /rest calls', async () => {
    const { access_token } = await connect();
    const path = '/rest/adAccountUsers?q=authenticatedUser';
    const missing = await api(path, access_token, {}, {});
    expect(missing.status).toBe(400);
    expect(await json(missing)).toMatchObject({ status: 400, code: 'VERSION_MISSING' });
    const old = await api(path, access_token, {}, { ...REST_HEADERS, 'LinkedIn-Version': '202301' });
    expect(old.status).toBe(426);
    expect(await json(old)).toEqual({
      status: 426,
      code: 'NONEXISTENT_VERSION',
      message: 'Requested version 202301 is not active',
    });
    const noRestli = await api(path, access_token, {}, { 'LinkedIn-Version': VERSION });
    expect(noRestli.status).toBe(400);
    const ok = await api(path, access_token);
    expect(ok.status).toBe(200);
    expect(await json(ok)).toMatchObject({
      elements: [
        { account: 'urn:li:sponsoredAccount:5001', role: 'ACCOUNT_MANAGER', user: fake.personUrn },
        { account: 'urn:li:sponsoredAccount:5002', role: 'VIEWER', user: fake.personUrn },
      ],
    });
  });

  it('pages organizationAcls by start and count, every organization exactly once', async () => {
    const { access_token } = await connect();
    const seen: string[] = [];
    let start = 0;
    for (;;) {
      const res = await api(
        `/rest/organizationAcls?q=roleAssignee&role=ADMINISTRATOR&state=APPROVED&start=${start}&count=2`,
        access_token,
      );
      expect(res.status).toBe(200);
      const body = await json<Listing>(res);
      for (const e of body.elements) {
        expect(e).toMatchObject({ role: 'ADMINISTRATOR', state: 'APPROVED', roleAssignee: fake.personUrn });
        seen.push(String(e.organization));
      }
      expect(body.paging.total).toBe(3);
      start += body.paging.count;
      if (start >= (body.paging.total ?? 0)) break;
    }
    expect(seen).toEqual(['urn:li:organization:123', 'urn:li:organization:456', 'urn:li:organization:654']);
  });

  it('answers adAnalytics in one page and validates the Rest.li syntax', async () => {
    const { access_token } = await connect();
    const res = await api(`/rest/adAnalytics?${ANALYTICS_QUERY}`, access_token);
    expect(res.status).toBe(200);
    const body = await json<Listing>(res);
    // Campaigns 9001 and 9002 deliver every day of January; 9003 has no delivery and is left out.
    expect(body.elements).toHaveLength(62);
    expect(body.paging).toEqual({ start: 0, count: 10, links: [] });
    expect(body.elements[0]).toEqual({
      impressions: expect.any(Number),
      clicks: expect.any(Number),
      costInLocalCurrency: expect.stringMatching(/^\d+\.\d\d$/),
      dateRange: { start: { year: 2026, month: 1, day: 1 }, end: { year: 2026, month: 1, day: 1 } },
      pivotValues: ['urn:li:sponsoredCampaign:9001'],
    });
    const pivots = new Set(body.elements.map((e) => (e.pivotValues as string[])[0]));
    expect(pivots).toEqual(new Set(['urn:li:sponsoredCampaign:9001', 'urn:li:sponsoredCampaign:9002']));

    const all = await json<Listing>(
      await api(`/rest/adAnalytics?${ANALYTICS_QUERY.replace('DAILY', 'ALL')}`, access_token),
    );
    const daily9001 = body.elements.filter(
      (e) => (e.pivotValues as string[])[0] === 'urn:li:sponsoredCampaign:9001',
    );
    const total9001 = all.elements.find(
      (e) => (e.pivotValues as string[])[0] === 'urn:li:sponsoredCampaign:9001',
    );
    expect(total9001?.impressions).toBe(daily9001.reduce((n, e) => n + Number(e.impressions), 0));

    const bad = [
      ANALYTICS_QUERY.replace(
        'List(urn%3Ali%3AsponsoredAccount%3A5001)',
        'List(urn:li:sponsoredAccount:5001)',
      ),
      ANALYTICS_QUERY.replace(
        '(start:(year:2026,month:1,day:1)',
        '%28start%3A%28year%3A2026%2Cmonth%3A1%2Cday%3A1%29',
      ),
      ANALYTICS_QUERY.replace('day:31', 'day:32'),
      ANALYTICS_QUERY.replace('pivot=CAMPAIGN', 'pivot=EVERYTHING'),
      ANALYTICS_QUERY.replace(
        'fields=impressions',
        `fields=${Array(20).fill('clicks').join(',')},impressions`,
      ),
    ];
    for (const query of bad) {
      const refused = await api(`/rest/adAnalytics?${query}`, access_token);
      expect(refused.status).toBe(400);
      expect(await json(refused)).toMatchObject({
        status: 400,
        code: 'ILLEGAL_ARGUMENT',
        message: expect.any(String),
      });
    }
    const foreign = await api(`/rest/adAnalytics?${ANALYTICS_QUERY.replace('5001', '9999')}`, access_token);
    expect(foreign.status).toBe(403);
  });

  it('parses Rest.li values', () => {
    expect(parseRestli('(start:(year:2026,month:1,day:1))')).toEqual({
      start: { year: '2026', month: '1', day: '1' },
    });
    expect(parseRestli('List(urn%3Ali%3Aa%3A1,urn%3Ali%3Aa%3A2)')).toEqual(['urn:li:a:1', 'urn:li:a:2']);
    expect(parseRestli('List()')).toEqual([]);
    expect(() => parseRestli('(start:(year:2026)')).toThrow();
    expect(() => parseRestli('List(urn:li:a:1)')).toThrow();
  });

  it('creates posts as an administered organization only', async () => {
    const { access_token } = await connect();
    const post = (body: unknown) =>
      api('/rest/posts', access_token, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const created = await post(POST_BODY);
    expect(created.status).toBe(201);
    expect(await created.text()).toBe('');
    const id = created.headers.get('x-restli-id');
    expect(id).toMatch(/^urn:li:share:\d+$/);
    expect(fake.posts).toEqual([expect.objectContaining({ id, author: 'urn:li:organization:123' })]);

    for (const author of ['urn:li:organization:789', 'urn:li:organization:321', 'urn:li:organization:1']) {
      const refused = await post({ ...POST_BODY, author });
      expect(refused.status).toBe(403);
      expect(await json(refused)).toMatchObject({
        status: 403,
        serviceErrorCode: 100,
        code: 'ACCESS_DENIED',
      });
    }
    const { visibility: _dropped, ...noVisibility } = POST_BODY;
    expect((await post(noVisibility)).status).toBe(422);
    expect(fake.posts).toHaveLength(1);
  });

  it('answers each queued fault in LinkedIn shape', async () => {
    const { access_token } = await connect();
    fake.failNext('rate_limit', /adAccountUsers/);
    expect((await api('/v2/userinfo', access_token)).status).toBe(200);
    const limited = await api('/rest/adAccountUsers?q=authenticatedUser', access_token);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBeNull();
    expect(await json(limited)).toEqual({
      status: 429,
      serviceErrorCode: 101,
      code: 'TOO_MANY_REQUESTS',
      message: 'Resource level throttle limit for calls to this resource is reached.',
    });

    fake.failNext('server_error');
    const down = await api('/v2/userinfo', access_token);
    expect(down.status).toBe(500);
    expect(await json(down)).toEqual({ message: 'Internal Server Error', status: 500 });

    fake.failNext('token_expired');
    const expired = await api('/v2/userinfo', access_token);
    expect(expired.status).toBe(401);
    expect(await json(expired)).toMatchObject({
      serviceErrorCode: 65602,
      message: 'The token used in the request has expired',
      status: 401,
    });
    expect((await api('/v2/userinfo', access_token)).status).toBe(200);
  });
});
