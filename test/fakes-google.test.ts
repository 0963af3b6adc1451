// The Google fake must behave like Google's OAuth server, the Google Ads API and the YouTube APIs, so
// that connectors tested against it have a fair chance against Google: these tests walk it as a client would.
import { createHash } from 'node:crypto';
import { GOOGLE_SCOPES, GOOGLE_SEED, GoogleFake, GoogleFakeOptions } from './fakes/google';

const APP = {
  clientId: 'client-1.apps.googleusercontent.com',
  clientSecret: 'g-secret',
  redirectUris: ['https://app.example/cb'],
};
const REDIRECT = APP.redirectUris[0];
const ALL_SCOPES = [
  GOOGLE_SCOPES.adwords,
  GOOGLE_SCOPES.youtubeReadonly,
  GOOGLE_SCOPES.youtubeForceSsl,
  GOOGLE_SCOPES.ytAnalyticsReadonly,
].join(' ');
const MANAGER = '1234567890';
const CLIENT_A = '2345678901'; // reachable only through the manager
const CLIENT_B = '3456789012'; // directly accessible
const CLOSED = '4567890123';
const VERIFIER = 'a'.repeat(64);
const CHALLENGE = createHash('sha256').update(VERIFIER).digest('base64url');

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
  json: unknown;
  text: string;
}

let now = Date.parse('2026-10-15T12:00:00Z');
let fake: GoogleFake;

async function startFake(options: GoogleFakeOptions = {}): Promise<GoogleFake> {
  const started = await GoogleFake.start({ clock: () => now, ...options });
  started.addApp(APP);
  return started;
}

beforeEach(async () => {
  now = Date.parse('2026-10-15T12:00:00Z');
  fake = await startFake();
});

afterEach(async () => {
  await fake.close();
});

async function call(url: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(url, { redirect: 'manual', ...init });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text) as unknown;
  } catch {
    json = undefined;
  }
  const body =
    typeof json === 'object' && json !== null && !Array.isArray(json)
      ? (json as Record<string, unknown>)
      : {};
  return { status: res.status, headers: res.headers, body, json, text };
}

function form(params: Record<string, string>): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params).toString(),
  };
}

function errorOf(answer: Answer): Record<string, unknown> {
  const error = answer.body.error;
  if (typeof error !== 'object' || error === null) throw new Error(`no error object in ${answer.text}`);
  return error as Record<string, unknown>;
}

/** The GoogleAdsFailure errors[] of an Ads error answer. */
function adsErrors(answer: Answer): Array<{ errorCode: Record<string, string>; message: string }> {
  const details = errorOf(answer).details as Array<Record<string, unknown>>;
  const failure = details.find((d) => String(d['@type']).endsWith('errors.GoogleAdsFailure'));
  return (failure?.errors ?? []) as Array<{ errorCode: Record<string, string>; message: string }>;
}

async function authorize(extra: Record<string, string> = {}, target = fake): Promise<URL> {
  const params = {
    client_id: APP.clientId,
    redirect_uri: REDIRECT,
    response_type: 'code',
    scope: ALL_SCOPES,
    access_type: 'offline',
    prompt: 'consent',
    state: 'st-9',
    code_challenge: CHALLENGE,
    code_challenge_method: 'S256',
    ...extra,
  };
  const res = await call(`${target.url}/o/oauth2/v2/auth?${new URLSearchParams(params).toString()}`);
  expect(res.status).toBe(302);
  return new URL(res.headers.get('location') ?? '');
}

function exchange(code: string, extra: Record<string, string> = {}, target = fake): Promise<Answer> {
  return call(
    `${target.url}/token`,
    form({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT,
      client_id: APP.clientId,
      client_secret: APP.clientSecret,
      code_verifier: VERIFIER,
      ...extra,
    }),
  );
}

async function tokens(target = fake): Promise<{ access: string; refresh: string }> {
  const code = (await authorize({}, target)).searchParams.get('code') ?? '';
  const res = await exchange(code, {}, target);
  return { access: String(res.body.access_token), refresh: String(res.body.refresh_token) };
}

function refresh(token: string, secret = APP.clientSecret): Promise<Answer> {
  return call(
    `${fake.url}/token`,
    form({
      grant_type: 'refresh_token',
      refresh_token: token,
      client_id: APP.clientId,
      client_secret: secret,
    }),
  );
}

function ads(
  path: string,
  access: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return call(`${fake.url}/v26/${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${access}`, 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

function results(answer: Answer): Array<Record<string, Record<string, unknown>>> {
  return (answer.body.results ?? []) as Array<Record<string, Record<string, unknown>>>;
}

describe('OAuth', () => {
  it('runs the code flow with PKCE and rejects every bad exchange in Google shape', async () => {
    const location = await authorize();
    expect(`${location.origin}${location.pathname}`).toBe(REDIRECT);
    expect(location.searchParams.get('state')).toBe('st-9');
    const code = location.searchParams.get('code') ?? '';
    expect(code).toMatch(/^4\/0A/);

    const wrongSecret = await exchange(code, { client_secret: 'nope' });
    expect(wrongSecret.status).toBe(401);
    expect(wrongSecret.body).toEqual({ error: 'invalid_client', error_description: 'Unauthorized' });
    const wrongRedirect = await exchange(code, { redirect_uri: 'https://app.example/elsewhere' });
    expect(wrongRedirect.status).toBe(400);
    expect(wrongRedirect.body.error).toBe('redirect_uri_mismatch');
    const wrongVerifier = await exchange(code, { code_verifier: 'b'.repeat(64) });
    expect(wrongVerifier.body).toEqual({
      error: 'invalid_grant',
      error_description: 'Invalid code verifier.',
    });

    const good = await exchange(code);
    expect(good.status).toBe(200);
    expect(good.body).toEqual({
      access_token: expect.stringMatching(/^ya29\./),
      expires_in: 3599,
      refresh_token: expect.any(String),
      scope: ALL_SCOPES,
      token_type: 'Bearer',
    });
    const reused = await exchange(code);
    expect(reused.status).toBe(400);
    expect(reused.body.error).toBe('invalid_grant');
    expect(fake.stats).toMatchObject({ authorizations: 1, codeExchanges: 1 });
  });

  it('accepts HTTP Basic client authentication and tells bad secrets from bad grants', async () => {
    const basic = `Basic ${Buffer.from(`${APP.clientId}:${APP.clientSecret}`).toString('base64')}`;
    const code = (await authorize()).searchParams.get('code') ?? '';
    const res = await call(`${fake.url}/token`, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT,
        code_verifier: VERIFIER,
      }).toString(),
    });
    expect(res.status).toBe(200);

    // The service checks app credentials with a dummy refresh token: wrong secret is invalid_client, right one invalid_grant.
    expect((await refresh('dummy', 'wrong')).body.error).toBe('invalid_client');
    expect(await refresh('dummy').then((r) => [r.status, r.body])).toEqual([
      400,
      { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' },
    ]);
    const unsupported = await call(
      `${fake.url}/token`,
      form({ grant_type: 'password', client_id: APP.clientId, client_secret: APP.clientSecret }),
    );
    expect(unsupported.body.error).toBe('unsupported_grant_type');
    const unknownClient = await call(
      `${fake.url}/token`,
      form({ grant_type: 'refresh_token', client_id: 'x', client_secret: 'y' }),
    );
    expect(unknownClient.status).toBe(401);
    expect(unknownClient.body.error).toBe('invalid_client');
  });

  it('refreshes without rotating the refresh token', async () => {
    const { refresh: refreshToken } = await tokens();
    const first = await refresh(refreshToken);
    expect(first.body).toEqual({
      access_token: expect.any(String),
      expires_in: 3599,
      scope: ALL_SCOPES,
      token_type: 'Bearer',
    });
    const second = await refresh(refreshToken);
    expect(second.status).toBe(200);
    expect(second.body.access_token).not.toBe(first.body.access_token);
    expect(fake.stats.refreshes).toBe(2);
  });

  it('issues refresh tokens only offline, and again only when consent is forced', async () => {
    const online = await exchange(
      (await authorize({ access_type: 'online' })).searchParams.get('code') ?? '',
    );
    expect(online.body.refresh_token).toBeUndefined();
    const first = await exchange(
      (await authorize({ prompt: 'select_account' })).searchParams.get('code') ?? '',
    );
    expect(first.body.refresh_token).toEqual(expect.any(String));
    const again = await exchange(
      (await authorize({ prompt: 'select_account' })).searchParams.get('code') ?? '',
    );
    expect(again.body.refresh_token).toBeUndefined();
    const forced = await exchange((await authorize({ prompt: 'consent' })).searchParams.get('code') ?? '');
    expect(forced.body.refresh_token).toEqual(expect.any(String));
  });

  it('expires codes after ten minutes and requires the verifier of a PKCE request', async () => {
    const code = (await authorize()).searchParams.get('code') ?? '';
    const missing = await call(
      `${fake.url}/token`,
      form({
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT,
        client_id: APP.clientId,
        client_secret: APP.clientSecret,
      }),
    );
    expect(missing.body).toEqual({ error: 'invalid_grant', error_description: 'Missing code verifier.' });
    now += 601_000;
    expect((await exchange(code)).body.error).toBe('invalid_grant');
  });

  it('shows error pages, not redirects, for unknown clients, bad redirect URIs and bad scopes', async () => {
    const page = (params: Record<string, string>) =>
      call(
        `${fake.url}/o/oauth2/v2/auth?${new URLSearchParams({ response_type: 'code', scope: ALL_SCOPES, ...params }).toString()}`,
      );
    const unknown = await page({ client_id: 'nobody', redirect_uri: REDIRECT });
    expect(unknown.status).toBe(401);
    expect(unknown.text).toContain('invalid_client');
    expect(unknown.headers.get('location')).toBeNull();
    const mismatch = await page({ client_id: APP.clientId, redirect_uri: 'https://evil.example/cb' });
    expect(mismatch.status).toBe(400);
    expect(mismatch.text).toContain('redirect_uri_mismatch');
    const scope = await page({
      client_id: APP.clientId,
      redirect_uri: REDIRECT,
      scope: 'https://www.googleapis.com/auth/nope',
    });
    expect(scope.status).toBe(400);
    expect(scope.text).toContain('invalid_scope');
  });

  it('redirects a denied consent with access_denied and the state', async () => {
    fake.denyNextConsent();
    const denied = await authorize();
    expect(denied.searchParams.get('error')).toBe('access_denied');
    expect(denied.searchParams.get('state')).toBe('st-9');
    expect(denied.searchParams.get('code')).toBeNull();
  });

  it('shows Allow and Deny links when interactive', async () => {
    const interactive = await startFake({ interactiveConsent: true });
    try {
      const url = `${interactive.url}/o/oauth2/v2/auth?${new URLSearchParams({ client_id: APP.clientId, redirect_uri: REDIRECT, response_type: 'code', scope: ALL_SCOPES, state: 's' }).toString()}`;
      const page = await call(url);
      expect(page.status).toBe(200);
      const links = [...page.text.matchAll(/href="([^"]+)"/g)].map((m) => m[1].replace(/&#38;/g, '&'));
      const allow = await call(`${interactive.url}${links[0]}`);
      expect(new URL(allow.headers.get('location') ?? '').searchParams.get('code')).toBeTruthy();
      const deny = await call(`${interactive.url}${links[1]}`);
      expect(new URL(deny.headers.get('location') ?? '').searchParams.get('error')).toBe('access_denied');
    } finally {
      await interactive.close();
    }
  });

  it('expires access tokens, revokes token families and answers in Google shape', async () => {
    const { access, refresh: refreshToken } = await tokens();
    expect((await ads('customers:listAccessibleCustomers', access)).status).toBe(200);
    fake.expireAccessTokens();
    const expired = await ads('customers:listAccessibleCustomers', access);
    expect(expired.status).toBe(401);
    expect(errorOf(expired)).toMatchObject({ code: 401, status: 'UNAUTHENTICATED' });
    expect(JSON.stringify(errorOf(expired).details)).toContain('ACCESS_TOKEN_EXPIRED');

    const renewed = String((await refresh(refreshToken)).body.access_token);
    expect((await ads('customers:listAccessibleCustomers', renewed)).status).toBe(200);
    const revoked = await call(`${fake.url}/revoke?token=${encodeURIComponent(renewed)}`, { method: 'POST' });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toEqual({});
    expect(fake.stats.revocations).toBe(1);
    expect((await refresh(refreshToken)).body.error).toBe('invalid_grant');
    const again = await call(`${fake.url}/revoke`, form({ token: renewed }));
    expect(again.body).toEqual({ error: 'invalid_token', error_description: 'Token expired or revoked' });

    const other = await tokens();
    fake.revokeAllGrants();
    expect((await refresh(other.refresh)).body.error).toBe('invalid_grant');
  });
});

describe('Google Ads', () => {
  const campaignQuery =
    'SELECT campaign.id, campaign.name, campaign.status, metrics.clicks, metrics.cost_micros FROM campaign';

  it('lists the directly accessible customers and each one’s own row', async () => {
    const { access } = await tokens();
    const listed = await ads('customers:listAccessibleCustomers', access);
    expect(listed.body).toEqual({ resourceNames: [`customers/${MANAGER}`, `customers/${CLIENT_B}`] });
    const own = await ads(`customers/${MANAGER}/googleAds:search`, access, {
      query: 'SELECT customer.id, customer.descriptive_name, customer.manager, customer.status FROM customer',
    });
    expect(results(own)).toEqual([
      {
        customer: {
          resourceName: `customers/${MANAGER}`,
          id: MANAGER,
          descriptiveName: 'Supertrack Sandbox MCC',
          manager: true,
          status: 'ENABLED',
        },
      },
    ]);
    expect(own.body.fieldMask).toBe('customer.id,customer.descriptiveName,customer.manager,customer.status');
    const clients = await ads(`customers/${MANAGER}/googleAds:search`, access, {
      query:
        'SELECT customer_client.id, customer_client.level, customer_client.status FROM customer_client WHERE customer_client.level <= 1',
    });
    expect(
      results(clients).map((r) => [r.customerClient.id, r.customerClient.level, r.customerClient.status]),
    ).toEqual([
      [MANAGER, '0', 'ENABLED'],
      [CLIENT_A, '1', 'ENABLED'],
      [CLIENT_B, '1', 'ENABLED'],
      [CLOSED, '1', 'CANCELED'],
    ]);
  });

  it('pages every row exactly once with fixed-size pages', async () => {
    const { access } = await tokens();
    const login = { 'login-customer-id': MANAGER };
    const seen: string[] = [];
    let pageToken: string | undefined;
    let pages = 0;
    do {
      const body: Record<string, unknown> = {
        query: campaignQuery,
        searchSettings: { returnTotalResultsCount: true },
      };
      if (pageToken) body.pageToken = pageToken;
      const page = await ads(`customers/${CLIENT_A}/googleAds:search`, access, body, login);
      expect(page.status).toBe(200);
      expect(page.body.totalResultsCount).toBe('27');
      expect(results(page).length).toBeLessThanOrEqual(10);
      for (const row of results(page)) {
        expect(row.campaign).toEqual({
          resourceName: `customers/${CLIENT_A}/campaigns/${String(row.campaign.id)}`,
          id: expect.stringMatching(/^\d+$/),
          name: expect.any(String),
          status: expect.stringMatching(/^(ENABLED|PAUSED|REMOVED)$/),
        });
        expect(row.metrics).toEqual({
          clicks: expect.stringMatching(/^\d+$/),
          costMicros: expect.stringMatching(/^\d+$/),
        });
        seen.push(String(row.campaign.id));
      }
      pageToken = typeof page.body.nextPageToken === 'string' ? page.body.nextPageToken : undefined;
      pages += 1;
    } while (pageToken);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(27);
    expect(new Set(seen).size).toBe(27);

    const noLogin = await ads(`customers/${CLIENT_A}/googleAds:search`, access, { query: campaignQuery });
    expect(noLogin.status).toBe(403);
    expect(errorOf(noLogin)).toMatchObject({ code: 403, status: 'PERMISSION_DENIED' });
    expect(adsErrors(noLogin)[0].errorCode).toEqual({ authorizationError: 'USER_PERMISSION_DENIED' });
    const stale = await ads(
      `customers/${CLIENT_A}/googleAds:search`,
      access,
      { query: 'SELECT campaign.id FROM campaign', pageToken: 'bogus' },
      login,
    );
    expect(adsErrors(stale)[0].errorCode).toEqual({ requestError: 'INVALID_PAGE_TOKEN' });
  });

  it('segments by date within a finite range and keeps metrics consistent across levels', async () => {
    const { access } = await tokens();
    const perDay = await ads(`customers/${CLIENT_B}/googleAds:search`, access, {
      query:
        'SELECT campaign.id, segments.date, metrics.impressions FROM campaign WHERE segments.date DURING LAST_7_DAYS ORDER BY segments.date',
    });
    expect(perDay.body.nextPageToken).toEqual(expect.any(String)); // 3 campaigns x 7 days = 21 rows
    const stream = await ads(`customers/${CLIENT_B}/googleAds:searchStream`, access, {
      query:
        'SELECT campaign.id, segments.date, metrics.impressions FROM campaign WHERE segments.date DURING LAST_7_DAYS',
    });
    const batches = stream.json as Array<{ results: Array<Record<string, Record<string, string>>> }>;
    const rows = batches.flatMap((b) => b.results);
    expect(rows).toHaveLength(21);
    expect(new Set(rows.map((r) => r.segments.date))).toEqual(
      new Set([
        '2026-10-08',
        '2026-10-09',
        '2026-10-10',
        '2026-10-11',
        '2026-10-12',
        '2026-10-13',
        '2026-10-14',
      ]),
    );
    const total = await ads(`customers/${CLIENT_B}/googleAds:search`, access, {
      query:
        "SELECT customer.id, metrics.impressions FROM customer WHERE segments.date BETWEEN '2026-10-08' AND '2026-10-14'",
    });
    const sum = rows.reduce((s, r) => s + Number(r.metrics.impressions), 0);
    expect(results(total)[0].metrics.impressions).toBe(String(sum));
  });

  it('answers GoogleAdsFailure errors for bad requests', async () => {
    const { access } = await tokens();
    const search = (query: string, extra: Record<string, unknown> = {}) =>
      ads(`customers/${CLIENT_B}/googleAds:search`, access, { query, ...extra });
    const pageSize = await search('SELECT campaign.id FROM campaign', { pageSize: 100 });
    expect(pageSize.status).toBe(400);
    expect(errorOf(pageSize)).toMatchObject({
      code: 400,
      message: 'Request contains an invalid argument.',
      status: 'INVALID_ARGUMENT',
    });
    expect(adsErrors(pageSize)[0].errorCode).toEqual({ requestError: 'PAGE_SIZE_NOT_SUPPORTED' });
    expect(adsErrors(await search('SELEC campaign.id FROM campaign'))[0].errorCode).toEqual({
      queryError: 'EXPECTED_SELECT',
    });
    expect(adsErrors(await search('SELECT campaign.nope FROM campaign'))[0].errorCode).toEqual({
      queryError: 'UNRECOGNIZED_FIELD',
    });
    expect(adsErrors(await search('SELECT ad_group.id FROM campaign'))[0].errorCode).toEqual({
      queryError: 'PROHIBITED_RESOURCE_TYPE_IN_SELECT_CLAUSE',
    });
    expect(adsErrors(await search('SELECT campaign.id, segments.date FROM campaign'))[0].errorCode).toEqual({
      queryError: 'EXPECTED_FILTERS_ON_DATE_RANGE',
    });
    const manager = await ads(`customers/${MANAGER}/googleAds:search`, access, {
      query: 'SELECT campaign.id, metrics.clicks FROM campaign',
    });
    expect(adsErrors(manager)[0].errorCode).toEqual({ queryError: 'REQUESTED_METRICS_FOR_MANAGER' });
    const closed = await ads(
      `customers/${CLOSED}/googleAds:search`,
      access,
      { query: 'SELECT customer.id FROM customer' },
      { 'login-customer-id': MANAGER },
    );
    expect(adsErrors(closed)[0].errorCode).toEqual({ authorizationError: 'CUSTOMER_NOT_ENABLED' });
    const dashed = await ads(
      `customers/${CLIENT_A}/googleAds:search`,
      access,
      { query: 'SELECT customer.id FROM customer' },
      { 'login-customer-id': '123-456-7890' },
    );
    expect(adsErrors(dashed)[0].errorCode).toEqual({ headerError: 'INVALID_LOGIN_CUSTOMER_ID' });
  });

  it('pauses a campaign through a mutate that later searches see', async () => {
    const { access } = await tokens();
    const target = fake.campaigns.find((c) => c.customerId === CLIENT_B && c.status === 'ENABLED');
    const resourceName = `customers/${CLIENT_B}/campaigns/${String(target?.id)}`;
    const mutated = await ads(`customers/${CLIENT_B}/campaigns:mutate`, access, {
      operations: [{ update: { resourceName, status: 'PAUSED' }, updateMask: 'status' }],
    });
    expect(mutated.body).toEqual({ results: [{ resourceName }] });
    const paused = await ads(`customers/${CLIENT_B}/googleAds:search`, access, {
      query: "SELECT campaign.id, campaign.status FROM campaign WHERE campaign.status = 'PAUSED'",
    });
    expect(results(paused).map((r) => r.campaign.resourceName)).toContain(resourceName);
    const missing = await ads(`customers/${CLIENT_B}/campaigns:mutate`, access, {
      operations: [
        {
          update: { resourceName: `customers/${CLIENT_B}/campaigns/1`, status: 'PAUSED' },
          updateMask: 'status',
        },
      ],
    });
    expect(adsErrors(missing)[0].errorCode).toEqual({ mutateError: 'RESOURCE_NOT_FOUND' });
  });

  it('checks scopes, Cloud project access levels and, when asked, developer tokens', async () => {
    const code = (await authorize({ scope: GOOGLE_SCOPES.youtubeReadonly })).searchParams.get('code') ?? '';
    const narrow = String((await exchange(code)).body.access_token);
    const denied = await ads('customers:listAccessibleCustomers', narrow);
    expect(denied.status).toBe(403);
    expect(errorOf(denied)).toMatchObject({
      message: 'Request had insufficient authentication scopes.',
      status: 'PERMISSION_DENIED',
    });

    const { access } = await tokens();
    fake.setAdsAccessLevel(APP.clientId, 'test');
    const testOnly = await ads(`customers/${CLIENT_B}/googleAds:search`, access, {
      query: 'SELECT customer.id FROM customer',
    });
    expect(adsErrors(testOnly)[0].errorCode).toEqual({
      authorizationError: 'CLOUD_PROJECT_NOT_APPROVED_FOR_PRODUCTION',
    });

    const legacy = await startFake({ developerTokens: ['dev-token-1'] });
    try {
      const t = await tokens(legacy);
      const call2 = (headers: Record<string, string>) =>
        call(`${legacy.url}/v26/customers:listAccessibleCustomers`, {
          headers: { authorization: `Bearer ${t.access}`, ...headers },
        });
      expect(adsErrors(await call2({}))[0].errorCode).toEqual({
        requestError: 'DEVELOPER_TOKEN_PARAMETER_MISSING',
      });
      expect((await call2({ 'developer-token': 'wrong' })).status).toBe(401);
      expect((await call2({ 'developer-token': 'dev-token-1' })).status).toBe(200);
    } finally {
      await legacy.close();
    }
  });
});

describe('YouTube', () => {
  const yt = (path: string, access: string, init: RequestInit = {}) =>
    call(`${fake.url}/youtube/v3/${path}`, {
      ...init,
      headers: { authorization: `Bearer ${access}`, 'content-type': 'application/json' },
    });

  it('returns the channel with statistics as strings', async () => {
    const { access } = await tokens();
    const res = await yt('channels?part=snippet,statistics&mine=true', access);
    expect(res.body).toMatchObject({
      kind: 'youtube#channelListResponse',
      etag: expect.any(String),
      pageInfo: { totalResults: 1 },
    });
    const [channel] = res.body.items as Array<Record<string, Record<string, unknown>>>;
    expect(channel.id).toBe(GOOGLE_SEED.channel.id);
    expect(channel.snippet).toMatchObject({
      title: GOOGLE_SEED.channel.title,
      customUrl: '@supertracksandbox',
    });
    expect(channel.statistics).toMatchObject({
      viewCount: expect.stringMatching(/^\d+$/),
      subscriberCount: '1540',
      videoCount: '3',
    });
    const noPart = await yt('channels?mine=true', access);
    expect(noPart.status).toBe(400);
    expect(errorOf(noPart).errors).toEqual([expect.objectContaining({ reason: 'required' })]);

    const empty = await startFake({ youtubeChannel: false });
    try {
      const t = await tokens(empty);
      const none = await call(`${empty.url}/youtube/v3/channels?part=snippet&mine=true`, {
        headers: { authorization: `Bearer ${t.access}` },
      });
      expect(none.body.items).toEqual([]);
    } finally {
      await empty.close();
    }
  });

  it('updates a video snippet, replacing every mutable field', async () => {
    const { access } = await tokens();
    const update = (snippet: Record<string, unknown>) =>
      yt('videos?part=snippet', access, {
        method: 'PUT',
        body: JSON.stringify({ id: 'sandboxVid1', snippet }),
      });
    const noCategory = await update({ title: 'New title' });
    expect(noCategory.status).toBe(400);
    expect(errorOf(noCategory).errors).toEqual([
      expect.objectContaining({ reason: 'invalidCategoryId', domain: 'youtube.video' }),
    ]);
    expect(errorOf(await update({ categoryId: '22' })).errors).toEqual([
      expect.objectContaining({ reason: 'invalidTitle' }),
    ]);

    const updated = await update({ title: 'New title', categoryId: '22' });
    expect(updated.body).toMatchObject({
      kind: 'youtube#video',
      id: 'sandboxVid1',
      snippet: { title: 'New title', categoryId: '22', description: '' },
    });
    expect((updated.body.snippet as Record<string, unknown>).tags).toBeUndefined();
    const listed = await yt('videos?part=snippet&id=sandboxVid1,unknown', access);
    const items = listed.body.items as Array<{ id: string; snippet: { title: string } }>;
    expect(items.map((v) => [v.id, v.snippet.title])).toEqual([['sandboxVid1', 'New title']]);
    const unknown = await yt('videos?part=snippet', access, {
      method: 'PUT',
      body: JSON.stringify({ id: 'nope', snippet: { title: 't', categoryId: '22' } }),
    });
    expect(unknown.status).toBe(404);
  });

  it('pages analytics rows by startIndex and maxResults, one row per day', async () => {
    const { access } = await tokens();
    const seen: string[] = [];
    for (let startIndex = 1; ; startIndex += 10) {
      const params = new URLSearchParams({
        ids: 'channel==MINE',
        startDate: '2026-09-01',
        endDate: '2026-09-30',
        metrics: 'views,estimatedMinutesWatched',
        dimensions: 'day',
        maxResults: '10',
        startIndex: String(startIndex),
      });
      const res = await call(`${fake.url}/v2/reports?${params.toString()}`, {
        headers: { authorization: `Bearer ${access}` },
      });
      expect(res.status).toBe(200);
      expect(res.body.columnHeaders).toEqual([
        { name: 'day', columnType: 'DIMENSION', dataType: 'STRING' },
        { name: 'views', columnType: 'METRIC', dataType: 'INTEGER' },
        { name: 'estimatedMinutesWatched', columnType: 'METRIC', dataType: 'INTEGER' },
      ]);
      const rows = (res.body.rows ?? []) as Array<[string, number, number]>;
      seen.push(...rows.map((r) => r[0]));
      if (rows.length < 10) break;
    }
    expect(seen).toHaveLength(30);
    expect(new Set(seen).size).toBe(30);
    expect(seen[0]).toBe('2026-09-01');
  });

  it('runs out of daily quota like YouTube does', async () => {
    const small = await startFake({ youtubeDailyQuota: 2 });
    try {
      const { access } = await tokens(small);
      const get = () =>
        call(`${small.url}/youtube/v3/channels?part=id&mine=true`, {
          headers: { authorization: `Bearer ${access}` },
        });
      expect((await get()).status).toBe(200);
      expect((await get()).status).toBe(200);
      const out = await get();
      expect(out.status).toBe(403);
      expect(errorOf(out).errors).toEqual([
        expect.objectContaining({ domain: 'youtube.quota', reason: 'quotaExceeded' }),
      ]);
    } finally {
      await small.close();
    }
  });
});

describe('faults', () => {
  it('answers each fault once, in the shape of the API it hits', async () => {
    const { access, refresh: refreshToken } = await tokens();
    fake.failNext('rate_limit', /googleAds:search$/);
    expect((await ads('customers:listAccessibleCustomers', access)).status).toBe(200);
    const limited = await ads(`customers/${CLIENT_B}/googleAds:search`, access, {
      query: 'SELECT customer.id FROM customer',
    });
    expect(limited.status).toBe(429);
    expect(errorOf(limited)).toMatchObject({
      code: 429,
      message: 'Resource has been exhausted (e.g. check quota).',
      status: 'RESOURCE_EXHAUSTED',
    });
    expect(JSON.stringify(errorOf(limited).details)).toContain('"retryDelay":"30s"');
    expect(adsErrors(limited)[0].errorCode).toEqual({ quotaError: 'RESOURCE_EXHAUSTED' });
    expect(
      (
        await ads(`customers/${CLIENT_B}/googleAds:search`, access, {
          query: 'SELECT customer.id FROM customer',
        })
      ).status,
    ).toBe(200);

    fake.failNext('rate_limit', /youtube/);
    const quota = await call(`${fake.url}/youtube/v3/channels?part=id&mine=true`, {
      headers: { authorization: `Bearer ${access}` },
    });
    expect(quota.status).toBe(403);
    expect(errorOf(quota).errors).toEqual([
      expect.objectContaining({ domain: 'youtube.quota', reason: 'quotaExceeded' }),
    ]);

    fake.failNext('server_error');
    const unavailable = await ads('customers:listAccessibleCustomers', access);
    expect(unavailable.status).toBe(503);
    expect(errorOf(unavailable)).toMatchObject({
      code: 503,
      message: 'The service is currently unavailable.',
      status: 'UNAVAILABLE',
    });

    fake.failNext('token_expired');
    expect((await refresh(refreshToken)).status).toBe(200); // OAuth endpoints take no faults
    const expired = await ads('customers:listAccessibleCustomers', access);
    expect(expired.status).toBe(401);
    expect(errorOf(expired)).toMatchObject({ code: 401, status: 'UNAUTHENTICATED' });
  });

  it('records requests without query strings and points env at itself', async () => {
    await tokens();
    expect(fake.stats.requests).toEqual([
      { method: 'GET', path: '/o/oauth2/v2/auth' },
      { method: 'POST', path: '/token' },
    ]);
    expect(fake.env()).toEqual({
      CONNECTOR_GOOGLE_ADS_AUTHORIZE_URL: `${fake.url}/o/oauth2/v2/auth`,
      CONNECTOR_GOOGLE_ADS_TOKEN_URL: `${fake.url}/token`,
      CONNECTOR_GOOGLE_ADS_REVOKE_URL: `${fake.url}/revoke`,
      CONNECTOR_YOUTUBE_AUTHORIZE_URL: `${fake.url}/o/oauth2/v2/auth`,
      CONNECTOR_YOUTUBE_TOKEN_URL: `${fake.url}/token`,
      CONNECTOR_YOUTUBE_REVOKE_URL: `${fake.url}/revoke`,
      CONNECTOR_GOOGLE_ADS_API_URL: `${fake.url}/v26`,
      CONNECTOR_YOUTUBE_API_URL: `${fake.url}/youtube/v3`,
      CONNECTOR_YOUTUBE_ANALYTICS_URL: `${fake.url}/v2`,
    });
  });
});
