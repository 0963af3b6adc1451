// The Meta fake must behave like Facebook Login and the Graph API, so that connectors tested against it
// have a fair chance against Meta itself: these tests walk it the way a client would.
import { createHash, createHmac } from 'node:crypto';
import { META_SEED, MetaFake } from './fakes/meta';

const APP = { clientId: '1234567890', clientSecret: 'meta-secret', redirectUris: ['https://app.example/cb'] };
const REDIRECT = APP.redirectUris[0];
const SCOPES = [
  'pages_show_list',
  'pages_read_engagement',
  'pages_manage_posts',
  'read_insights',
  'ads_read',
  'instagram_basic',
  'instagram_manage_insights',
  'instagram_content_publish',
].join(',');
const [PAGE, SECOND_PAGE] = META_SEED.pages;
const IG = META_SEED.igUser.id;
const ACTIVE_ACT = `act_${META_SEED.adAccounts[0].accountId}`;

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
  text: string;
}

let now = Date.parse('2026-03-10T12:00:00Z');
let fake: MetaFake;
let v: string;

beforeEach(async () => {
  now = Date.parse('2026-03-10T12:00:00Z');
  fake = await MetaFake.start({ clock: () => now });
  fake.addApp(APP);
  v = `${fake.url}/v25.0`;
});

afterEach(async () => {
  await fake.close();
});

async function call(url: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(url, { redirect: 'manual', ...init });
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null) body = parsed as Record<string, unknown>;
  } catch {
    body = {};
  }
  return { status: res.status, headers: res.headers, body, text };
}

function q(params: Record<string, string>): string {
  return new URLSearchParams(params).toString();
}

function errorOf(answer: Answer): Record<string, unknown> {
  const error = answer.body.error;
  if (typeof error !== 'object' || error === null) throw new Error(`no error in ${answer.text}`);
  return error as Record<string, unknown>;
}

function dataOf(answer: Answer): Array<Record<string, unknown>> {
  const data = answer.body.data;
  if (!Array.isArray(data)) throw new Error(`no data in ${answer.text}`);
  return data as Array<Record<string, unknown>>;
}

async function authorize(extra: Record<string, string> = {}): Promise<URL> {
  const params = {
    client_id: APP.clientId,
    redirect_uri: REDIRECT,
    state: 'st-1',
    response_type: 'code',
    scope: SCOPES,
  };
  const res = await call(`${v}/dialog/oauth?${q({ ...params, ...extra })}`);
  expect(res.status).toBe(302);
  return new URL(res.headers.get('location') ?? '');
}

async function exchange(code: string, extra: Record<string, string> = {}): Promise<Answer> {
  const params = { client_id: APP.clientId, client_secret: APP.clientSecret, redirect_uri: REDIRECT, code };
  return call(`${v}/oauth/access_token?${q({ ...params, ...extra })}`);
}

async function userToken(): Promise<string> {
  const code = (await authorize()).searchParams.get('code') ?? '';
  const res = await exchange(code);
  return String(res.body.access_token);
}

async function pageToken(user: string, pageId = PAGE.id): Promise<string> {
  const res = await call(`${v}/me/accounts?access_token=${user}`);
  const page = dataOf(res).find((p) => p.id === pageId);
  return String(page?.access_token);
}

describe('login and tokens', () => {
  it('runs the code flow and rejects every bad exchange in Meta shape', async () => {
    const location = await authorize();
    expect(`${location.origin}${location.pathname}`).toBe(REDIRECT);
    expect(location.searchParams.get('state')).toBe('st-1');
    expect(location.hash).toBe('#_=_');
    const code = location.searchParams.get('code') ?? '';

    const wrongSecret = await exchange(code, { client_secret: 'nope' });
    expect(wrongSecret.status).toBe(400);
    expect(errorOf(wrongSecret)).toMatchObject({
      message: 'Error validating client secret.',
      type: 'OAuthException',
      code: 1,
    });
    expect(typeof errorOf(wrongSecret).fbtrace_id).toBe('string');

    const wrongRedirect = await exchange(code, { redirect_uri: 'https://app.example/other' });
    expect(errorOf(wrongRedirect)).toMatchObject({ code: 100, error_subcode: 36008 });
    expect(String(errorOf(wrongRedirect).message)).toContain('redirect_uri is identical');

    const good = await exchange(code);
    expect(good.status).toBe(200);
    expect(good.body).toEqual({ access_token: expect.any(String), token_type: 'bearer', expires_in: 3600 });

    const reused = await exchange(code);
    expect(errorOf(reused)).toMatchObject({
      message: 'This authorization code has been used.',
      code: 100,
      error_subcode: 36009,
    });
    expect(fake.stats.authorizations).toBe(1);
    expect(fake.stats.codeExchanges).toBe(1);
  });

  it('expires codes after ten minutes and checks PKCE verifiers', async () => {
    const stale = (await authorize()).searchParams.get('code') ?? '';
    now += 601_000;
    expect(errorOf(await exchange(stale))).toMatchObject({ code: 100, error_subcode: 36007 });

    const verifier = 'v'.repeat(50);
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const code =
      (await authorize({ code_challenge: challenge, code_challenge_method: 'S256' })).searchParams.get(
        'code',
      ) ?? '';
    expect(errorOf(await exchange(code, { code_verifier: 'w'.repeat(50) }))).toMatchObject({ code: 100 });
    expect(errorOf(await exchange(code))).toMatchObject({ code: 100 });
    expect((await exchange(code, { code_verifier: verifier })).status).toBe(200);
  });

  it('refuses unknown apps and unregistered redirect URIs without redirecting', async () => {
    const unknown = await call(`${v}/dialog/oauth?${q({ client_id: '999', redirect_uri: REDIRECT })}`);
    expect(unknown.status).toBe(400);
    expect(unknown.headers.get('location')).toBeNull();
    expect(unknown.text).toContain('Invalid App ID');
    const blocked = await call(
      `${v}/dialog/oauth?${q({ client_id: APP.clientId, redirect_uri: 'https://evil.example/cb' })}`,
    );
    expect(blocked.status).toBe(400);
    expect(blocked.headers.get('location')).toBeNull();
    const badScope = await call(
      `${v}/dialog/oauth?${q({ client_id: APP.clientId, redirect_uri: REDIRECT, scope: 'nope' })}`,
    );
    expect(badScope.status).toBe(400);
    expect(badScope.text).toContain('Invalid Scopes');
  });

  it('redirects a denied consent with the error, the reason and the state', async () => {
    fake.denyNextConsent();
    const location = await authorize();
    expect(location.searchParams.get('error')).toBe('access_denied');
    expect(location.searchParams.get('error_reason')).toBe('user_denied');
    expect(location.searchParams.get('error_description')).toBe('Permissions error');
    expect(location.searchParams.get('state')).toBe('st-1');
    expect(location.searchParams.get('code')).toBeNull();
    expect((await authorize()).searchParams.get('code')).toBeTruthy();
  });

  it('exchanges for a long-lived token, issues app tokens and answers debug_token', async () => {
    const short = await userToken();
    const long = await call(
      `${v}/oauth/access_token?${q({ grant_type: 'fb_exchange_token', client_id: APP.clientId, client_secret: APP.clientSecret, fb_exchange_token: short })}`,
    );
    expect(long.body).toEqual({
      access_token: expect.any(String),
      token_type: 'bearer',
      expires_in: 5184000,
    });
    expect(fake.stats.refreshes).toBe(1);

    const app = await call(
      `${v}/oauth/access_token?${q({ grant_type: 'client_credentials', client_id: APP.clientId, client_secret: APP.clientSecret })}`,
    );
    expect(String(app.body.access_token)).toMatch(/^1234567890\|/);
    const badApp = await call(
      `${v}/oauth/access_token?${q({ grant_type: 'client_credentials', client_id: APP.clientId, client_secret: 'x' })}`,
    );
    expect(errorOf(badApp)).toMatchObject({ code: 1 });

    for (const inspector of [`${APP.clientId}|${APP.clientSecret}`, String(app.body.access_token)]) {
      const debug = await call(
        `${v}/debug_token?${q({ input_token: String(long.body.access_token), access_token: inspector })}`,
      );
      expect(debug.body.data).toMatchObject({
        app_id: APP.clientId,
        type: 'USER',
        is_valid: true,
        user_id: META_SEED.user.id,
        scopes: expect.arrayContaining(['ads_read', 'public_profile']),
      });
      const data = debug.body.data as Record<string, number>;
      expect(data.expires_at - data.issued_at).toBe(5184000);
    }
  });

  it('refuses to extend a long-lived token: exchanging one again gives back the same expiry', async () => {
    const exchange = (token: string) =>
      call(
        `${v}/oauth/access_token?${q({ grant_type: 'fb_exchange_token', client_id: APP.clientId, client_secret: APP.clientSecret, fb_exchange_token: token })}`,
      );
    // debug_token with the app token in the Authorization header, as the service asks it.
    const expiresAt = async (token: string) =>
      (
        await call(`${v}/debug_token?${q({ input_token: token })}`, {
          headers: { authorization: `Bearer ${APP.clientId}|${APP.clientSecret}` },
        })
      ).body.data as { expires_at: number; data_access_expires_at: number; is_valid: boolean };
    const long = String((await exchange(await userToken())).body.access_token);
    const end = await expiresAt(long);
    expect(end.is_valid).toBe(true);
    expect(end.data_access_expires_at).toBeGreaterThan(end.expires_at);

    now += 10 * 86_400_000; // ten days on
    const again = await exchange(long);
    expect(again.status).toBe(200);
    expect(again.body.expires_in).toBe(50 * 86_400);
    expect((await expiresAt(String(again.body.access_token))).expires_at).toBe(end.expires_at);
  });

  it('answers the expired, invalidated and deauthorized token errors', async () => {
    const token = await userToken();
    const me = await call(`${v}/me?fields=id,name`, { headers: { authorization: `Bearer ${token}` } });
    expect(me.body).toEqual({ id: META_SEED.user.id, name: META_SEED.user.name });
    expect(JSON.parse(me.headers.get('x-app-usage') ?? '{}')).toHaveProperty('call_count');

    fake.expireAccessTokens();
    const expired = await call(`${v}/me?access_token=${token}`);
    expect(expired.status).toBe(400);
    expect(errorOf(expired)).toMatchObject({ type: 'OAuthException', code: 190, error_subcode: 463 });

    const second = await userToken();
    fake.revokeAllGrants();
    expect(errorOf(await call(`${v}/me?access_token=${second}`))).toMatchObject({
      code: 190,
      error_subcode: 460,
    });

    const third = await userToken();
    const removed = await call(`${v}/me/permissions?access_token=${third}`, { method: 'DELETE' });
    expect(removed.body).toEqual({ success: true });
    expect(fake.stats.revocations).toBe(1);
    expect(errorOf(await call(`${v}/me?access_token=${third}`))).toMatchObject({
      code: 190,
      error_subcode: 458,
    });
    expect(errorOf(await call(`${v}/me`))).toMatchObject({ code: 104 });
    expect(errorOf(await call(`${v}/me?access_token=garbage`))).toMatchObject({ code: 190 });
  });

  it('checks appsecret_proof when one is sent', async () => {
    const token = await userToken();
    const proof = createHmac('sha256', APP.clientSecret).update(token).digest('hex');
    expect((await call(`${v}/me?${q({ access_token: token, appsecret_proof: proof })}`)).status).toBe(200);
    expect((await call(`${v}/me?${q({ access_token: token, appsecret_proof: 'bad' })}`)).status).toBe(400);
  });

  it('shows a consent page with Allow and Deny when interactive', async () => {
    const interactive = await MetaFake.start({ interactiveConsent: true });
    try {
      interactive.addApp(APP);
      const base = `${interactive.url}/v25.0/dialog/oauth?${q({ client_id: APP.clientId, redirect_uri: REDIRECT, state: 's', scope: 'ads_read' })}`;
      const page = await call(base);
      expect(page.status).toBe(200);
      const links = [...page.text.matchAll(/href="([^"]+)"/g)].map((m) => m[1].replace(/&#38;/g, '&'));
      expect(links).toHaveLength(2);
      const allow = await call(`${interactive.url}${links[0]}`);
      expect(new URL(allow.headers.get('location') ?? '').searchParams.get('code')).toBeTruthy();
      const deny = await call(`${interactive.url}${links[1]}`);
      expect(new URL(deny.headers.get('location') ?? '').searchParams.get('error')).toBe('access_denied');
    } finally {
      await interactive.close();
    }
  });
});

describe('accounts', () => {
  it('lists Pages with Page tokens, cursor paged', async () => {
    const token = await userToken();
    const first = await call(`${v}/me/accounts?access_token=${token}&limit=1`);
    const firstData = dataOf(first);
    expect(firstData).toEqual([
      expect.objectContaining({
        id: PAGE.id,
        name: PAGE.name,
        category: PAGE.category,
        access_token: expect.any(String),
        tasks: expect.any(Array),
      }),
    ]);
    const paging = first.body.paging as { cursors: { before: string; after: string }; next: string };
    expect(paging.cursors.after).toEqual(expect.any(String));
    expect(new URL(paging.next).searchParams.get('access_token')).toBe(token);
    const second = await call(paging.next);
    expect(dataOf(second).map((p) => p.id)).toEqual([SECOND_PAGE.id]);
    expect((second.body.paging as Record<string, unknown>).next).toBeUndefined();

    const page = await call(`${v}/${PAGE.id}?fields=instagram_business_account&access_token=${token}`);
    expect(page.body).toEqual({ instagram_business_account: { id: IG }, id: PAGE.id });
    const other = await call(
      `${v}/${SECOND_PAGE.id}?fields=instagram_business_account,name&access_token=${token}`,
    );
    expect(other.body).toEqual({ name: SECOND_PAGE.name, id: SECOND_PAGE.id });
    const me = await call(`${v}/me?access_token=${await pageToken(token)}`);
    expect(me.body).toEqual({ name: PAGE.name, id: PAGE.id });
  });

  it('lists ad accounts with their status', async () => {
    const token = await userToken();
    const res = await call(
      `${v}/me/adaccounts?fields=account_id,name,account_status,currency&access_token=${token}`,
    );
    expect(dataOf(res)).toEqual(
      META_SEED.adAccounts.map((a) => ({
        account_id: a.accountId,
        name: a.name,
        account_status: a.status,
        currency: a.currency,
        id: `act_${a.accountId}`,
      })),
    );
    expect(dataOf(res).map((a) => a.account_status)).toEqual([1, 2]);
    const badField = await call(`${v}/me?fields=id,nope&access_token=${token}`);
    expect(errorOf(badField)).toMatchObject({ code: 100 });
    expect(String(errorOf(badField).message)).toContain('nonexisting field (nope)');
  });
});

describe('insights', () => {
  it('pages every row exactly once through next, metric values as strings', async () => {
    const token = await userToken();
    const params = q({
      fields: 'account_id,campaign_id,campaign_name,impressions,spend,clicks',
      level: 'campaign',
      date_preset: 'last_30d',
      time_increment: '1',
      access_token: token,
    });
    const all = dataOf(await call(`${v}/${ACTIVE_ACT}/insights?${params}&limit=1000`));
    expect(all).toHaveLength(90); // 3 campaigns x 30 days
    const seen: Array<Record<string, unknown>> = [];
    let url: string | undefined = `${v}/${ACTIVE_ACT}/insights?${params}`;
    let pages = 0;
    while (url) {
      const page = await call(url);
      expect(page.status).toBe(200);
      expect(page.headers.get('x-business-use-case-usage')).toContain(META_SEED.adAccounts[0].accountId);
      const data = dataOf(page);
      expect(data.length).toBeLessThanOrEqual(25);
      seen.push(...data);
      url = (page.body.paging as { next?: string }).next;
      pages += 1;
    }
    expect(pages).toBe(4);
    expect(seen).toEqual(all);
    const keys = new Set(seen.map((r) => `${String(r.campaign_id)} ${String(r.date_start)}`));
    expect(keys.size).toBe(90);
    const row = seen[0];
    expect(row).toEqual({
      account_id: META_SEED.adAccounts[0].accountId,
      campaign_id: expect.any(String),
      campaign_name: expect.any(String),
      impressions: expect.stringMatching(/^\d+$/),
      spend: expect.stringMatching(/^\d+\.\d{2}$/),
      clicks: expect.stringMatching(/^\d+$/),
      date_start: row.date_stop,
      date_stop: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
    });
    expect(row.date_start).toBe('2026-02-08');
  });

  it('accepts time_range and breakdowns whose parts add up to the totals', async () => {
    const token = await userToken();
    const range = JSON.stringify({ since: '2026-03-01', until: '2026-03-07' });
    const base = { fields: 'impressions,clicks', time_range: range, access_token: token };
    const total = dataOf(await call(`${v}/${ACTIVE_ACT}/insights?${q(base)}`));
    expect(total).toHaveLength(1);
    expect(total[0]).toMatchObject({ date_start: '2026-03-01', date_stop: '2026-03-07' });
    const split = dataOf(
      await call(`${v}/${ACTIVE_ACT}/insights?${q({ ...base, breakdowns: 'age,gender', limit: '100' })}`),
    );
    expect(split.length).toBeGreaterThan(1);
    const sum = split.reduce((s, r) => s + Number(r.impressions), 0);
    expect(String(sum)).toBe(total[0].impressions);
    expect(split[0]).toHaveProperty('age');
    expect(split[0]).toHaveProperty('gender');
  });

  it('answers Meta errors for bad fields, unknown accounts and missing permissions', async () => {
    const token = await userToken();
    const badField = await call(`${v}/${ACTIVE_ACT}/insights?fields=impressions,bogus&access_token=${token}`);
    expect(badField.status).toBe(400);
    expect(errorOf(badField)).toMatchObject({
      code: 100,
      message: expect.stringContaining('bogus is not valid for fields param'),
    });
    const unknown = await call(`${v}/act_999/insights?access_token=${token}`);
    expect(errorOf(unknown)).toMatchObject({ code: 100, error_subcode: 33 });

    const code = (await authorize({ scope: 'pages_show_list' })).searchParams.get('code') ?? '';
    const narrow = String((await exchange(code)).body.access_token);
    const denied = await call(`${v}/${ACTIVE_ACT}/insights?access_token=${narrow}`);
    expect(denied.status).toBe(403);
    expect(errorOf(denied)).toMatchObject({ code: 200 });
    expect(dataOf(await call(`${v}/me/adaccounts?access_token=${narrow}`))).toEqual([]);
  });

  it('serves Page insights to Page tokens only, with 2026 metric names', async () => {
    const user = await userToken();
    const page = await pageToken(user);
    const res = await call(
      `${v}/${PAGE.id}/insights?${q({ metric: 'page_media_view,page_post_engagements', period: 'day', since: '2026-03-01', until: '2026-03-04', access_token: page })}`,
    );
    const data = dataOf(res);
    expect(data.map((m) => m.name)).toEqual(['page_media_view', 'page_post_engagements']);
    expect(data[0]).toMatchObject({
      period: 'day',
      id: `${PAGE.id}/insights/page_media_view/day`,
      title: expect.any(String),
    });
    expect(data[0].values).toEqual([
      { value: expect.any(Number), end_time: '2026-03-02T08:00:00+0000' },
      { value: expect.any(Number), end_time: '2026-03-03T08:00:00+0000' },
      { value: expect.any(Number), end_time: '2026-03-04T08:00:00+0000' },
    ]);
    const retired = await call(
      `${v}/${PAGE.id}/insights?${q({ metric: 'page_impressions', period: 'day', access_token: page })}`,
    );
    expect(errorOf(retired)).toMatchObject({
      code: 100,
      message: '(#100) The value must be a valid insights metric',
    });
    const withUser = await call(
      `${v}/${PAGE.id}/insights?${q({ metric: 'page_media_view', access_token: user })}`,
    );
    expect(errorOf(withUser)).toMatchObject({
      code: 190,
      message: '(#190) This method must be called with a Page Access Token',
    });
  });

  it('serves Instagram account insights as time series or totals', async () => {
    const user = await userToken();
    const series = await call(
      `${v}/${IG}/insights?${q({ metric: 'reach,follower_count', period: 'day', access_token: user })}`,
    );
    expect(dataOf(series)).toHaveLength(2);
    expect(dataOf(series)[0]).toMatchObject({ name: 'reach', period: 'day', values: expect.any(Array) });
    const totals = await call(
      `${v}/${IG}/insights?${q({ metric: 'views,reach', period: 'day', metric_type: 'total_value', access_token: user })}`,
    );
    expect(dataOf(totals)[0]).toMatchObject({ name: 'views', total_value: { value: expect.any(Number) } });
    const retired = await call(
      `${v}/${IG}/insights?${q({ metric: 'impressions,reach', period: 'day', access_token: user })}`,
    );
    expect(String(errorOf(retired).message)).toMatch(
      /^\(#100\) metric\[0\] must be one of the following values/,
    );
    const noType = await call(
      `${v}/${IG}/insights?${q({ metric: 'views', period: 'day', access_token: user })}`,
    );
    expect(String(errorOf(noType).message)).toContain('metric_type=total_value');
  });
});

describe('publishing', () => {
  it('posts to a Page with the Page token only', async () => {
    const user = await userToken();
    const page = await pageToken(user);
    const posted = await call(`${v}/${PAGE.id}/feed`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: q({ message: 'Hello from the sandbox', link: 'https://example.com', access_token: page }),
    });
    expect(posted.body.id).toMatch(new RegExp(`^${PAGE.id}_\\d+$`));
    expect(fake.posts).toEqual([
      expect.objectContaining({
        id: posted.body.id,
        kind: 'page_post',
        targetId: PAGE.id,
        message: 'Hello from the sandbox',
      }),
    ]);
    const read = await call(`${v}/${String(posted.body.id)}?fields=message&access_token=${page}`);
    expect(read.body).toEqual({ message: 'Hello from the sandbox', id: posted.body.id });

    const asUser = await call(`${v}/${PAGE.id}/feed?${q({ message: 'x', access_token: user })}`, {
      method: 'POST',
    });
    expect(asUser.status).toBe(403);
    expect(errorOf(asUser)).toMatchObject({
      code: 200,
      message: expect.stringContaining('pages_manage_posts'),
    });
    const empty = await call(`${v}/${PAGE.id}/feed?access_token=${page}`, { method: 'POST' });
    expect(errorOf(empty)).toMatchObject({ code: 100 });
  });

  it('publishes Instagram media through containers, waiting for videos', async () => {
    const user = await userToken();
    const image = await call(
      `${v}/${IG}/media?${q({ image_url: 'https://example.com/a.jpg', caption: 'Hi', access_token: user })}`,
      {
        method: 'POST',
      },
    );
    const imageId = String(image.body.id);
    expect((await call(`${v}/${imageId}?fields=status_code&access_token=${user}`)).body).toEqual({
      status_code: 'FINISHED',
      id: imageId,
    });
    const published = await call(
      `${v}/${IG}/media_publish?${q({ creation_id: imageId, access_token: user })}`,
      { method: 'POST' },
    );
    expect(published.body).toEqual({ id: expect.any(String) });
    expect(fake.posts.at(-1)).toMatchObject({
      kind: 'instagram_media',
      targetId: IG,
      message: 'Hi',
      mediaType: 'IMAGE',
    });

    const video = await call(
      `${v}/${IG}/media?${q({ media_type: 'REELS', video_url: 'https://example.com/a.mp4', access_token: user })}`,
      { method: 'POST' },
    );
    const videoId = String(video.body.id);
    expect((await call(`${v}/${videoId}?fields=status_code&access_token=${user}`)).body.status_code).toBe(
      'IN_PROGRESS',
    );
    const early = await call(`${v}/${IG}/media_publish?${q({ creation_id: videoId, access_token: user })}`, {
      method: 'POST',
    });
    expect(errorOf(early)).toMatchObject({ code: 9007, error_subcode: 2207027 });
    // Processing takes minutes: reading the status again does not hurry it.
    expect((await call(`${v}/${videoId}?fields=status_code&access_token=${user}`)).body.status_code).toBe(
      'IN_PROGRESS',
    );
    fake.finishVideos();
    expect((await call(`${v}/${videoId}?fields=status_code&access_token=${user}`)).body.status_code).toBe(
      'FINISHED',
    );
    const later = await call(`${v}/${IG}/media_publish?${q({ creation_id: videoId, access_token: user })}`, {
      method: 'POST',
    });
    expect(later.status).toBe(200);
  });

  it('stops Instagram publishing at 50 posts in 24 hours', async () => {
    const short = await userToken();
    const long = await call(
      `${v}/oauth/access_token?${q({ grant_type: 'fb_exchange_token', client_id: APP.clientId, client_secret: APP.clientSecret, fb_exchange_token: short })}`,
    );
    const user = String(long.body.access_token);
    const publish = async () => {
      const container = await call(
        `${v}/${IG}/media?${q({ image_url: 'https://example.com/a.jpg', access_token: user })}`,
        {
          method: 'POST',
        },
      );
      return call(
        `${v}/${IG}/media_publish?${q({ creation_id: String(container.body.id), access_token: user })}`,
        {
          method: 'POST',
        },
      );
    };
    for (let i = 0; i < 50; i += 1) expect((await publish()).status).toBe(200);
    const limit = await call(`${v}/${IG}/content_publishing_limit?access_token=${user}`);
    expect(dataOf(limit)[0]).toMatchObject({
      quota_usage: 50,
      config: { quota_total: 50, quota_duration: 86400 },
    });
    expect(errorOf(await publish())).toMatchObject({ code: 9, error_subcode: 2207042 });
    now += 86_401_000;
    expect((await publish()).status).toBe(200);
  });
});

describe('faults', () => {
  it('answers each fault once, in Meta shape, on matching paths only', async () => {
    const token = await userToken();
    fake.failNext('rate_limit', /\/insights$/);
    expect((await call(`${v}/me?access_token=${token}`)).status).toBe(200);
    const adLimit = await call(`${v}/${ACTIVE_ACT}/insights?access_token=${token}`);
    expect(adLimit.status).toBe(400);
    expect(errorOf(adLimit)).toMatchObject({ code: 80004, error_subcode: 2446079, type: 'OAuthException' });
    const buc = JSON.parse(adLimit.headers.get('x-business-use-case-usage') ?? '{}') as Record<
      string,
      Array<{ estimated_time_to_regain_access: number }>
    >;
    expect(buc[META_SEED.adAccounts[0].accountId][0].estimated_time_to_regain_access).toBeGreaterThan(0);
    expect((await call(`${v}/${ACTIVE_ACT}/insights?access_token=${token}`)).status).toBe(200);

    fake.failNext('rate_limit');
    const userLimit = await call(`${v}/me?access_token=${token}`);
    expect(errorOf(userLimit)).toMatchObject({
      message: '(#17) User request limit reached',
      code: 17,
      error_subcode: 2446079,
    });
    expect(JSON.parse(userLimit.headers.get('x-app-usage') ?? '{}')).toMatchObject({ call_count: 100 });

    fake.failNext('server_error');
    const server = await call(`${v}/me?access_token=${token}`);
    expect(server.status).toBe(500);
    expect(errorOf(server)).toMatchObject({ code: 2, is_transient: true, type: 'OAuthException' });

    fake.failNext('token_expired');
    expect(errorOf(await call(`${v}/me?access_token=${token}`))).toMatchObject({
      code: 190,
      error_subcode: 463,
    });

    fake.failNext('server_error');
    expect((await exchange('whatever')).status).toBe(400); // OAuth endpoints take no faults
    expect((await call(`${v}/me?access_token=${token}`)).status).toBe(500);
  });

  it('records requests without query strings and points env at itself', async () => {
    await userToken();
    expect(fake.stats.requests.every((r) => !r.path.includes('?'))).toBe(true);
    expect(fake.stats.requests.map((r) => r.path)).toEqual([
      '/v25.0/dialog/oauth',
      '/v25.0/oauth/access_token',
    ]);
    expect(fake.env()).toMatchObject({
      CONNECTOR_META_AUTHORIZE_URL: `${fake.url}/v25.0/dialog/oauth`,
      CONNECTOR_FACEBOOK_TOKEN_URL: `${fake.url}/v25.0/oauth/access_token`,
      CONNECTOR_INSTAGRAM_API_URL: `${fake.url}/v25.0`,
    });
    expect(Object.keys(fake.env())).toHaveLength(9);
  });
});
