// Timeouts by kind of call: reporting calls get a longer budget (REPORT_TIMEOUT_SECONDS, 60 s) than token,
// identity and account calls (PLATFORM_TIMEOUT_SECONDS, 15 s), and a reporting call that timed out is not asked
// again. The fakes hold requests unanswered (a platform too slow for the budget) instead of sleeping, and each
// host gets small budgets, so no case waits more than about two seconds.
//  - host "short": token, identity and account calls have 2 s, reports 30 s;
//  - host "reports": reports have 1.5 s, everything else the default 15 s. A reporting call left unmarked would
//    wait 15 s three times and fail the test on its deadline.
import { GoogleFake } from './fakes/google';
import { addDays, isoDay } from './fakes/http';
import { LinkedInFake } from './fakes/linkedin';
import { META_SEED, MetaFake } from './fakes/meta';
import { TikTokAdsFake } from './fakes/tiktokAds';
import { seedAdvertisers } from './fakes/tiktokAdsSeed';
import { PlatformFake } from './fakes/types';
import { HoldMatch } from './fakes/base';
import { Api, apiClient } from './support/api';
import { connectThroughFlow } from './support/connect';
import { startTestIssuer, TEST_AUDIENCE, TestIssuer } from './support/issuer';
import { RunningHost, startHost } from './support/localHost';

const META_APP = { app_id: '5252525252', app_secret: 'meta-timeouts-secret-0123456789' };
const ADS_APP = {
  client_id: 'timeouts.apps.googleusercontent.com',
  client_secret: 'gads-timeouts-secret-01234',
};
const YT_APP = {
  client_id: 'yt-timeouts.apps.googleusercontent.com',
  client_secret: 'yt-timeouts-secret-01234',
};
const LINKEDIN_APP = { client_id: 'liTimeoutsClient', client_secret: 'linkedin-timeouts-secret-0123456789' };
const TIKTOK_ADS_APP = { app_id: '7000000000000000456', secret: 'tiktok-ads-timeouts-secret-0123' };
const AD_ACCOUNT = `act_${META_SEED.adAccounts[0].accountId}`;
const CUSTOMER = '3456789012'; // reachable directly
const INSIGHTS = {
  resource: 'insights',
  account_id: AD_ACCOUNT,
  fields: ['impressions'],
  date_preset: 'last_7d',
};
const today = () => isoDay(Date.now());

let issuer: TestIssuer;
let meta: MetaFake;
let google: GoogleFake;
let linkedin: LinkedInFake;
let tiktokAds: TikTokAdsFake;
let hosts: RunningHost[] = [];
let short: Api;
let reports: Api;
const ids: Record<string, string> = {};

beforeAll(async () => {
  issuer = await startTestIssuer();
  [meta, google, linkedin, tiktokAds] = await Promise.all([
    MetaFake.start(),
    GoogleFake.start(),
    LinkedInFake.start(),
    TikTokAdsFake.start(),
  ]);
  meta.addApp({ clientId: META_APP.app_id, clientSecret: META_APP.app_secret });
  google.addApp({ clientId: ADS_APP.client_id, clientSecret: ADS_APP.client_secret });
  google.addApp({ clientId: YT_APP.client_id, clientSecret: YT_APP.client_secret });
  linkedin.addApp({ clientId: LINKEDIN_APP.client_id, clientSecret: LINKEDIN_APP.client_secret });
  tiktokAds.addApp({ clientId: TIKTOK_ADS_APP.app_id, clientSecret: TIKTOK_ADS_APP.secret });
  const env = {
    AUTH_AUTHORITY: issuer.url,
    AUTH_AUDIENCE: TEST_AUDIENCE,
    ...meta.env(),
    ...google.env(),
    ...linkedin.env(),
    ...tiktokAds.env(),
  };
  hosts = await Promise.all([
    startHost({ env: { ...env, PLATFORM_TIMEOUT_SECONDS: '2', REPORT_TIMEOUT_SECONDS: '30' } }),
    startHost({ env: { ...env, REPORT_TIMEOUT_SECONDS: '1.5' } }),
  ]);
  const token = await issuer.token();
  short = apiClient(hosts[0].api, token);
  reports = apiClient(hosts[1].api, token);
  [ids.short, ids.meta, ids.google, ids.youtube, ids.linkedin, ids.tiktokAds] = await Promise.all([
    connectThroughFlow(short, 'meta', META_APP),
    connectThroughFlow(reports, 'meta', META_APP),
    connectThroughFlow(reports, 'google_ads', ADS_APP),
    connectThroughFlow(reports, 'youtube', YT_APP),
    connectThroughFlow(reports, 'linkedin', LINKEDIN_APP),
    connectThroughFlow(reports, 'tiktok_ads', TIKTOK_ADS_APP),
  ]);
});

afterAll(async () => {
  await Promise.all(hosts.map((h) => h.stop()));
  await Promise.all([meta?.close(), google?.close(), linkedin?.close(), tiktokAds?.close()]);
  await issuer?.close();
});

const ops = (connection: string, path: string) => `/v1/connectors/operations/${connection}/${path}`;
const calls = (fake: PlatformFake & { stats: { requests: Array<{ path: string }> } }, match: RegExp) =>
  fake.stats.requests.filter((r) => match.test(r.path)).length;

describe('token, identity and account calls: the short budget', () => {
  it('an account call that takes longer than the short budget times out and is asked again', async () => {
    const before = calls(meta, /\/adaccounts$/);
    const held = meta.hold({ path: /\/adaccounts$/ }, 1);
    const res = await short('GET', ops(ids.short, 'metadata'));
    expect(res.status).toBe(200);
    expect(held.caught).toBe(1);
    expect(calls(meta, /\/adaccounts$/) - before).toBe(2);
  }, 10_000);

  it('a report outlives the short budget', async () => {
    const report = meta.hold({ path: /\/insights$/ }, 1);
    const pending = short('POST', ops(ids.short, 'query'), { body: { query: INSIGHTS } });
    await report.arrived;
    // An account call started after the report has run out of the short budget once, and been answered.
    meta.hold({ path: /\/adaccounts$/ }, 1);
    expect((await short('GET', ops(ids.short, 'metadata'))).status).toBe(200);
    report.release();
    expect((await pending).status).toBe(200);
  }, 10_000);
});

/** The reporting calls of every platform, each held at its fake: 504 within the report budget, asked once. */
describe('reporting calls: the report budget, never repeated after a timeout', () => {
  interface Case {
    name: string;
    fake: MetaFake | GoogleFake | LinkedInFake | TikTokAdsFake;
    hold: HoldMatch;
    connection: string;
    body: Record<string, unknown>;
  }
  const days = (from: number, to: number) => ({ start: addDays(today(), from), end: addDays(today(), to) });
  const bigMetaReport = () => ({
    report: {
      account_id: AD_ACCOUNT,
      metrics: ['spend', 'clicks'],
      dimensions: ['date', 'ad'],
      date_range: days(-60, -1),
    },
  });
  const cases = (): Case[][] => [
    // Meta, one after another (one fake): insights, then an insights job's start, status polls and results.
    [
      {
        name: 'Meta insights',
        fake: meta,
        hold: { path: /\/act_\d+\/insights$/, method: 'GET' },
        connection: ids.meta,
        body: { query: INSIGHTS },
      },
      {
        name: 'Meta insights job start',
        fake: meta,
        hold: { path: /\/act_\d+\/insights$/, method: 'POST' },
        connection: ids.meta,
        body: bigMetaReport(),
      },
      {
        name: 'Meta insights job status poll',
        fake: meta,
        hold: { path: /^\/v[\d.]+\/6\d+$/ },
        connection: ids.meta,
        body: bigMetaReport(),
      },
      {
        name: 'Meta insights job results',
        fake: meta,
        hold: { path: /^\/v[\d.]+\/6\d+\/insights$/ },
        connection: ids.meta,
        body: bigMetaReport(),
      },
    ],
    [
      {
        name: 'Google Ads GAQL query',
        fake: google,
        hold: { path: /googleAds:search$/ },
        connection: ids.google,
        body: {
          query: {
            customer_id: CUSTOMER,
            gaql: 'SELECT campaign.id, metrics.clicks FROM campaign WHERE segments.date DURING LAST_7_DAYS',
          },
        },
      },
      {
        name: 'Google Ads report search',
        fake: google,
        // Not the report's first search, which reads the customer's currency and time zone (an account call).
        hold: { path: /googleAds:search$/, body: /segments\.date/ },
        connection: ids.google,
        body: {
          report: {
            account_id: CUSTOMER,
            metrics: ['clicks'],
            dimensions: ['date'],
            date_range: days(-9, -3),
          },
        },
      },
      {
        name: 'YouTube Analytics report',
        fake: google,
        hold: { path: /\/v2\/reports$/ },
        connection: ids.youtube,
        body: {
          query: {
            resource: 'reports',
            metrics: ['views'],
            dimensions: ['day'],
            start_date: '2026-01-01',
            end_date: '2026-01-10',
          },
        },
      },
    ],
    [
      {
        name: 'LinkedIn adAnalytics',
        fake: linkedin,
        hold: { path: /\/rest\/adAnalytics$/ },
        connection: ids.linkedin,
        body: {
          query: {
            resource: 'ad_analytics',
            pivot: 'CAMPAIGN',
            time_granularity: 'DAILY',
            start_date: '2026-01-01',
            end_date: '2026-01-07',
            account_id: '5001',
          },
        },
      },
    ],
    [
      {
        name: 'TikTok Ads report',
        fake: tiktokAds,
        hold: { path: /\/report\/integrated\/get\/$/ },
        connection: ids.tiktokAds,
        body: {
          query: {
            advertiser_id: seedAdvertisers()[0].advertiser_id,
            data_level: 'AUCTION_CAMPAIGN',
            dimensions: ['campaign_id', 'stat_time_day'],
            metrics: ['spend', 'impressions'],
            start_date: '2026-11-01',
            end_date: '2026-11-07',
          },
        },
      },
    ],
  ];

  it('Meta, Google Ads, YouTube, LinkedIn and TikTok Ads', async () => {
    const outcomes = await Promise.all(
      cases().map(async (sequence) => {
        const seen: Array<Record<string, unknown>> = [];
        for (const c of sequence) {
          const held = c.fake.hold(c.hold);
          const res = await reports('POST', ops(c.connection, 'query'), { body: c.body });
          held.release();
          seen.push({ name: c.name, status: res.status, code: res.body.code, asked: held.caught });
        }
        return seen;
      }),
    );
    for (const seen of outcomes.flat()) {
      expect(seen).toEqual({ name: seen.name, status: 504, code: 'platform_unreachable', asked: 1 });
    }
  }, 30_000); // an unmarked call would wait 15 s three times: past this deadline
});
