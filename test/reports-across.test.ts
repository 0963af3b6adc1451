// One report over several connections (Meta, Google Ads, LinkedIn, TikTok Ads): one table with connection_id on every
// row, each connection's data.report, a connection that fails reported beside the others (200), cursor
// paging; the field catalog and the report capability generated from the same mappings.
import { GoogleFake } from './fakes/google';
import { addDays, isoDay } from './fakes/http';
import { LinkedInFake } from './fakes/linkedin';
import { META_SEED, MetaFake } from './fakes/meta';
import { TikTokAdsFake } from './fakes/tiktokAds';
import { Api, apiClient } from './support/api';
import { expectOk, generatedChecker, TypedClient, typedClient } from './support/client';
import type { operations } from './support/openapi.generated';
import { connectThroughFlow } from './support/connect';
import { startTestIssuer, TEST_AUDIENCE, TestIssuer } from './support/issuer';
import { RunningHost, startHost } from './support/localHost';

const META_APP = { app_id: '4444444666', app_secret: 'meta-across-secret-0123456789' };
const GOOGLE_APP = {
  client_id: 'across.apps.googleusercontent.com',
  client_secret: 'gads-across-secret-01234',
};
const LINKEDIN_APP = { client_id: 'liAcrossClient', client_secret: 'linkedin-across-secret-0123456789' };
const TIKTOK_APP = { app_id: '7000000000000000654', secret: 'tiktok-ads-across-secret-0123456789' };
const META_ACCOUNT = `act_${META_SEED.adAccounts[0].accountId}`;
const TIKTOK_ADVERTISER = '7301000000000000002'; // JPY, Asia/Tokyo, 12 campaigns

let issuer: TestIssuer;
let meta: MetaFake;
let google: GoogleFake;
let linkedin: LinkedInFake;
let tiktokAds: TikTokAdsFake;
let host: RunningHost;
let api: Api;
/** The typed client, generated from the served document: the main flows go through it. */
let client: TypedClient;
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
  google.addApp({ clientId: GOOGLE_APP.client_id, clientSecret: GOOGLE_APP.client_secret });
  linkedin.addApp({ clientId: LINKEDIN_APP.client_id, clientSecret: LINKEDIN_APP.client_secret });
  tiktokAds.addApp({ clientId: TIKTOK_APP.app_id, clientSecret: TIKTOK_APP.secret });
  host = await startHost({
    env: {
      AUTH_AUDIENCE: TEST_AUDIENCE,
      AUTH_AUTHORITY: issuer.url,
      ...meta.env(),
      ...google.env(),
      ...linkedin.env(),
      ...tiktokAds.env(),
    },
  });
  api = apiClient(host.api, await issuer.token());
  client = typedClient(host.url, await issuer.token());
  ids.meta = await connectThroughFlow(api, 'meta', META_APP);
  ids.google = await connectThroughFlow(api, 'google_ads', GOOGLE_APP);
  ids.linkedin = await connectThroughFlow(api, 'linkedin', LINKEDIN_APP);
  ids.tiktokAds = await connectThroughFlow(api, 'tiktok_ads', TIKTOK_APP);
});

afterAll(async () => {
  await host?.stop();
  await Promise.all([meta?.close(), google?.close(), linkedin?.close(), tiktokAds?.close()]);
  await issuer?.close();
});

type Row = Record<string, unknown>;
const today = () => isoDay(Date.now());
/** A unified report as the document states it: a metric or dimension it does not name fails to compile. */
type ReportRequest = NonNullable<
  operations['operations-query']['requestBody']['content']['application/json']['report']
>;
const REPORT: ReportRequest = {
  metrics: ['spend', 'clicks', 'cpc'],
  dimensions: ['date', 'campaign'],
  date_range: { start: addDays(today(), -9), end: addDays(today(), -3) },
};

describe('POST /v1/connectors/reports', () => {
  it('answers one table over four platforms, with a failing connection reported beside them', async () => {
    linkedin.failNext('rate_limit', /adAnalytics/);
    const first = expectOk(
      await client.POST('/api/v1/connectors/reports', {
        body: {
          connections: [
            { id: ids.meta, account_id: META_ACCOUNT },
            { id: ids.google, account_id: '3456789012' },
            { id: ids.linkedin, account_id: '5001' },
            { id: ids.tiktokAds, account_id: TIKTOK_ADVERTISER },
            '00000000-0000-4000-8000-000000000000',
          ],
          report: REPORT,
        },
      }),
    ).data;
    expect(first.errors).toEqual([
      expect.objectContaining({ connection_id: ids.linkedin, code: 'platform_rate_limited' }),
      expect.objectContaining({ connection_id: '00000000-0000-4000-8000-000000000000', code: 'not_found' }),
    ]);
    expect(first.reports.map((r) => [r.connection_id, r.platform, r.currency, r.time_zone])).toEqual([
      [ids.meta, 'meta', 'USD', 'America/Los_Angeles'],
      [ids.google, 'google_ads', 'EUR', 'Europe/Berlin'],
      [ids.tiktokAds, 'tiktok_ads', 'JPY', 'Asia/Tokyo'],
    ]);
    const rows: Row[] = [...first.rows];
    // Google's fake pages by 10: follow the cursor to the end.
    for (let cursor = first.next_cursor; cursor; ) {
      const page = expectOk(await client.POST('/api/v1/connectors/reports', { body: { cursor } })).data;
      rows.push(...page.rows);
      cursor = page.next_cursor;
    }
    for (const row of rows) {
      expect(row).toEqual(
        expect.objectContaining({
          connection_id: expect.any(String),
          platform: expect.any(String),
          account_id: expect.any(String),
          currency: expect.any(String),
          date: expect.any(String),
          campaign_id: expect.any(String),
        }),
      );
    }
    const metaRows = rows.filter((r) => r.connection_id === ids.meta);
    const googleRows = rows.filter((r) => r.connection_id === ids.google);
    expect(metaRows.every((r) => r.platform === 'meta' && r.currency === 'USD')).toBe(true);
    expect(googleRows.every((r) => r.platform === 'google_ads' && r.currency === 'EUR')).toBe(true);
    expect(metaRows).toHaveLength(3 * 7);
    expect(googleRows).toHaveLength(3 * 7);
    // TikTok's rows: its 12 campaigns a day, in whole yen, each figure the fake's own.
    const tiktokRows = rows.filter((r) => r.connection_id === ids.tiktokAds);
    expect(tiktokRows).toHaveLength(12 * 7);
    for (const row of tiktokRows.slice(0, 10)) {
      expect(row).toEqual(expect.objectContaining({ platform: 'tiktok_ads', currency: 'JPY' }));
      expect(row.spend).toBe(
        tiktokAds.expectedFigure({
          advertiserId: TIKTOK_ADVERTISER,
          metric: 'spend',
          start: String(row.date),
          end: String(row.date),
          level: 'campaign',
          id: String(row.campaign_id),
        }),
      );
    }
  });

  it('answers the failure when every connection fails, and 400 for a bad body', async () => {
    // A conversions definition neither type knows: each connection refuses it, so the whole request fails.
    const res = await api('POST', '/v1/connectors/reports', {
      body: { connections: [ids.meta, ids.google], report: { ...REPORT, conversions: { nonsense: true } } },
    });
    expect(res.status).toBe(400);
    expect(res.body.details).toHaveLength(2);
    // A metric no type has is refused by the route's contract before any connection is asked.
    const unknown = await api('POST', '/v1/connectors/reports', {
      body: { connections: [ids.meta, ids.google], report: { ...REPORT, metrics: ['likes'] } },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.details.errors).toContainEqual(
      expect.objectContaining({ in: 'body', path: '/report/metrics/0' }),
    );
    expect(
      (await api('POST', '/v1/connectors/reports', { body: { connections: [], report: REPORT } })).status,
    ).toBe(400);
    expect((await api('POST', '/v1/connectors/reports', { body: { cursor: 'rpt_nonsense' } })).status).toBe(
      400,
    );
  });
});

describe('the field catalog and the capability', () => {
  it('lists each canonical field with what it is on each platform', async () => {
    const fields = expectOk(await client.GET('/api/v1/connectors/reporting/fields')).data;
    const spend = fields.metrics.find((m) => m.name === 'spend');
    expect(spend).toEqual(
      expect.objectContaining({
        unit: 'currency',
        additive: true,
        types: {
          meta: 'spend',
          google_ads: 'metrics.cost_micros ÷ 1e6',
          linkedin: 'costInLocalCurrency',
          tiktok_ads: 'spend',
        },
      }),
    );
    const reach = fields.metrics.find((m) => m.name === 'reach');
    expect(reach?.additive).toBe(false);
    expect(Object.keys(reach?.types ?? {}).sort()).toEqual(['linkedin', 'meta', 'tiktok_ads']);
    const campaign = fields.dimensions.find((d) => d.name === 'campaign');
    expect(campaign?.types.linkedin).toBe('pivot=CAMPAIGN_GROUP');
    expect(campaign?.types.tiktok_ads).toMatch(/AUCTION_CAMPAIGN/);
    const country = fields.dimensions.find((d) => d.name === 'country');
    expect(country?.types.tiktok_ads).toBeUndefined();
    expect(fields.types?.find((t) => t.type === 'tiktok_ads')).toEqual(
      expect.objectContaining({
        restatement_days: 7,
        default_conversions: { event: 'conversion', attribution_window_days: 7 },
      }),
    );
  });

  it('marks the report capability on exactly the types that answer reports, and documents the routes', async () => {
    const list = expectOk(await client.GET('/api/v1/connectors')).data;
    const reporting = list.filter((t) => t.capabilities.includes('report'));
    expect(reporting.map((t) => t.type).sort()).toEqual(['google_ads', 'linkedin', 'meta', 'tiktok_ads']);
    // One type in full: its configuration schema and operations, the same schema on the types route.
    const meta = expectOk(
      await client.GET('/api/v1/connectors/{connector_type}', {
        params: { path: { connector_type: 'META' } },
      }),
    ).data;
    expect(meta.type).toBe('meta');
    expect(meta.capabilities).toContain('report');
    const schema = expectOk(
      await client.GET('/api/v1/connectors/types/{connector_type}/schema', {
        params: { path: { connector_type: 'meta' } },
      }),
    ).data;
    expect(schema).toEqual(meta.schema);
    const validated = expectOk(
      await client.POST('/api/v1/connectors/{connector_type}/validate', {
        params: { path: { connector_type: 'meta' } },
        body: { config: { app_id: '123' } },
      }),
    ).data;
    expect(validated.valid).toBe(false);
    expect(validated.errors).toContainEqual({ path: '/app_secret', message: 'is required' });
    const doc = expectOk(await client.GET('/api/v1/openapi.json', { headers: { authorization: null } }));
    // The served document is the one the route table generates (what the untyped helper checks answers with).
    const { servers: _served, ...served } = doc;
    const { servers: _generated, ...generated } = generatedChecker().document;
    expect(served).toEqual(generated);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/v1/connectors/reports', '/api/v1/connectors/reporting/fields']),
    );
  });
});
