// Platform errors as the platforms mean them: Google Ads 401s that are about the Google account (not the token)
// leave the connection active with no renewal; LinkedIn's 65601 means the member revoked the app; an X usage cap
// is its own code, never retried; Meta's 368 block is a refusal; Meta's X-Ad-Account-Usage reset is honoured;
// and Google Ads keeps what it learned about managers instead of listing every account on each refusal.
import { GoogleFake } from './fakes/google';
import { LinkedInFake } from './fakes/linkedin';
import { META_SEED, MetaFake } from './fakes/meta';
import { XFake } from './fakes/x';
import { Api, apiClient } from './support/api';
import { connectThroughFlow } from './support/connect';
import { startTestIssuer, TEST_AUDIENCE, TestIssuer } from './support/issuer';
import { RunningHost, startHost } from './support/localHost';

const GOOGLE_APP = {
  client_id: 'errors-ads.apps.googleusercontent.com',
  client_secret: 'gads-errors-secret-0123456789',
};
const LINKEDIN_APP = { client_id: 'liErrors', client_secret: 'linkedin-errors-secret-0123456789' };
const META_APP = { app_id: '7171717171', app_secret: 'meta-errors-secret-0123456789' };
const X_APP = {
  api_key: 'xErrorsConsumerKey',
  api_secret: 'x-errors-consumer-secret-0123456789',
  client_id: 'x-errors-client',
  client_secret: 'x-errors-client-secret-0123456789',
};
const CLIENT_A = '2345678901'; // behind the manager 1234567890
const GAQL = 'SELECT campaign.id FROM campaign ORDER BY campaign.id';

let issuer: TestIssuer;
let google: GoogleFake;
let linkedin: LinkedInFake;
let meta: MetaFake;
let x: XFake;
let host: RunningHost;
let api: Api;

beforeAll(async () => {
  issuer = await startTestIssuer();
  [google, linkedin, meta, x] = await Promise.all([
    GoogleFake.start(),
    LinkedInFake.start(),
    MetaFake.start(),
    XFake.start(),
  ]);
  google.addApp({ clientId: GOOGLE_APP.client_id, clientSecret: GOOGLE_APP.client_secret });
  linkedin.addApp({ clientId: LINKEDIN_APP.client_id, clientSecret: LINKEDIN_APP.client_secret });
  meta.addApp({ clientId: META_APP.app_id, clientSecret: META_APP.app_secret });
  x.addApp({ clientId: X_APP.client_id, clientSecret: X_APP.client_secret });
  host = await startHost({
    env: {
      AUTH_AUTHORITY: issuer.url,
      AUTH_AUDIENCE: TEST_AUDIENCE,
      ...google.env(),
      ...linkedin.env(),
      ...meta.env(),
      ...x.env(),
    },
  });
  api = apiClient(host.api, await issuer.token());
});

afterAll(async () => {
  await host?.stop();
  await Promise.all([google?.close(), linkedin?.close(), meta?.close(), x?.close()]);
  await issuer?.close();
});

const ops = (id: string, path: string) => `/v1/connectors/operations/${id}/${path}`;
const statusOf = async (id: string) => (await api('GET', `/v1/connectors/oauth/${id}`)).body.data;

describe('Google Ads', () => {
  it.each([
    'NOT_ADS_USER',
    'TWO_STEP_VERIFICATION_NOT_ENROLLED',
    'ADVANCED_PROTECTION_NOT_ENROLLED',
  ] as const)(
    '%s is about the Google account: 409 with the reason, no renewal, the connection stays active',
    async (problem) => {
      const id = await connectThroughFlow(api, 'google_ads', GOOGLE_APP);
      const refreshes = google.stats.refreshes;
      google.setAccountProblem(problem);
      try {
        const res = await api('GET', ops(id, 'metadata'));
        expect(res.status).toBe(409);
        expect(res.body.code).toBe('platform_forbidden');
        expect(res.body.details).toEqual({ reason: problem });
        expect(res.body.error).toContain(problem);
        const tested = await api('POST', `/v1/connectors/oauth/${id}/test`);
        expect(tested.status).toBe(409);
        expect(google.stats.refreshes).toBe(refreshes);
        expect((await statusOf(id)).status).toBe('active');
      } finally {
        google.setAccountProblem(undefined);
      }
      expect((await api('GET', ops(id, 'metadata'))).status).toBe(200);
    },
  );

  it('a client behind a manager is found once; later calls use what was learned, not a new listing', async () => {
    const id = await connectThroughFlow(api, 'google_ads', GOOGLE_APP);
    const listings = () => google.stats.requests.filter((r) => /listAccessibleCustomers/.test(r.path)).length;
    const searchesOf = (cid: string) =>
      google.stats.requests.filter((r) => r.path.endsWith(`customers/${cid}/googleAds:search`)).length;
    const query = () =>
      api('POST', ops(id, 'query'), { body: { query: { gaql: GAQL, customer_id: CLIENT_A } } });
    const before = listings();
    expect((await query()).status).toBe(200);
    expect(listings()).toBe(before + 1);
    const searches = searchesOf(CLIENT_A);
    for (let i = 0; i < 3; i++) expect((await query()).status).toBe(200);
    // No listing and no refused first try: one search per query, straight with the manager's login.
    expect(listings()).toBe(before + 1);
    expect(searchesOf(CLIENT_A)).toBe(searches + 3);
  });
});

describe('LinkedIn', () => {
  it('65601 (the member revoked the app) makes the connection revoked, without a renewal', async () => {
    const id = await connectThroughFlow(api, 'linkedin', LINKEDIN_APP);
    const refreshes = linkedin.stats.refreshes;
    linkedin.memberRevokesApp();
    const res = await api('GET', ops(id, 'metadata'));
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('reconnect_required');
    expect((await statusOf(id)).status).toBe('revoked');
    expect(linkedin.stats.refreshes).toBe(refreshes);
  });
});

describe('X', () => {
  it('a usage cap answers platform_quota_exhausted once, with no retry and no Retry-After', async () => {
    const id = await connectThroughFlow(api, 'twitter', X_APP);
    x.usageCapped();
    try {
      const calls = x.stats.apiCalls;
      const res = await api('POST', ops(id, 'query'), {
        body: { query: { resource: 'tweets', max_results: 5 } },
      });
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('platform_quota_exhausted');
      expect(res.body.details).toEqual({ reason: 'UsageCapExceeded' });
      expect(res.headers.get('retry-after')).toBeNull();
      expect(x.stats.apiCalls - calls).toBeLessThanOrEqual(2); // users/me for the account, then the capped call
      expect((await statusOf(id)).status).toBe('active');
    } finally {
      x.usageCapped(false);
    }
  });
});

describe('Meta', () => {
  let id: string;
  beforeAll(async () => {
    id = await connectThroughFlow(api, 'meta', META_APP);
  });
  const insights = () =>
    api('POST', ops(id, 'query'), {
      body: {
        query: {
          resource: 'insights',
          account_id: `act_${META_SEED.adAccounts[0].accountId}`,
          fields: ['impressions'],
          date_preset: 'last_7d',
        },
      },
    });

  it('368 (temporarily blocked) is a refusal, not a bad request', async () => {
    meta.blockNext();
    const res = await insights();
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('platform_forbidden');
    expect(res.body.details).toEqual({ reason: 'temporarily_blocked' });
    expect((await statusOf(id)).status).toBe('active');
  });

  it('an ad-account throttle waits for X-Ad-Account-Usage reset_time_duration', async () => {
    meta.throttleAdAccountNext(297);
    const res = await insights();
    expect(res.status).toBe(429);
    expect(res.body.code).toBe('platform_rate_limited');
    expect(res.headers.get('retry-after')).toBe('297');
  });
});
