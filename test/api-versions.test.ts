// Platform API versions as data: the version each type uses, the one setting that changes it, /health listing
// the versions with their sunsets, and a retired version answered with an error that names the setting.
// The fakes run at 2027-03-20: Meta's Marketing API v25.0 expired on 2027-02-23 (#2635 afterwards) and
// LinkedIn's 202603 was sunset on 2027-03-16 (426 afterwards).
import { apiVersion, sunsetState, versionOf, withVersion } from '../src/catalog/apiVersions';
import { resolveDefinitions } from '../src/platforms/registry/definitions';
import { ConnectorDefinition } from '../src/catalog/types';
import { LinkedInFake } from './fakes/linkedin';
import { META_SEED, MetaFake } from './fakes/meta';
import { Api, apiClient } from './support/api';
import { connectThroughFlow } from './support/connect';
import { startTestIssuer, TEST_AUDIENCE, TestIssuer } from './support/issuer';
import { RunningHost, startHost } from './support/localHost';

const META_APP = { app_id: '5151515151', app_secret: 'meta-versions-secret-0123456789' };
const LINKEDIN_APP = { client_id: 'liVersions', client_secret: 'linkedin-versions-secret-0123456789' };
const AD_ACCOUNT = `act_${META_SEED.adAccounts[0].accountId}`;
const INSIGHTS = {
  resource: 'insights',
  account_id: AD_ACCOUNT,
  fields: ['impressions'],
  date_preset: 'last_7d',
};

function definitionOf(env: NodeJS.ProcessEnv, type: string): ConnectorDefinition {
  const def = resolveDefinitions(env).find((d) => d.type === type);
  if (!def) throw new Error(type);
  return def;
}

describe('versions as data', () => {
  it('Meta: Graph calls keep the URL’s version, Marketing API calls use their own on the same origin', () => {
    const meta = definitionOf({ CONNECTOR_META_API_URL: 'http://127.0.0.1:9/v24.0' }, 'meta');
    expect(meta.endpoints.api).toBe('http://127.0.0.1:9/v24.0');
    expect(meta.endpoints.ads).toBe('http://127.0.0.1:9/v27.0');
    expect(meta.apiVersions).toEqual([
      { api: 'graph', version: 'v24.0', sunset: null, setting: 'CONNECTOR_META_API_VERSION' },
      { api: 'marketing', version: 'v27.0', sunset: null, setting: 'CONNECTOR_META_ADS_API_VERSION' },
    ]);
  });

  it('every Meta-family type sends its Marketing API calls to the origin of its own API URL', () => {
    for (const type of ['meta', 'facebook', 'instagram']) {
      const prefix = `CONNECTOR_${type.toUpperCase()}`;
      const def = definitionOf({ [`${prefix}_API_URL`]: 'http://127.0.0.1:9/v25.0' }, type);
      // Never the real graph.facebook.com once the API URL points elsewhere (a sandbox, a proxy).
      expect(def.endpoints.ads).toBe('http://127.0.0.1:9/v27.0');
      expect(def.apiVersions?.map((v) => v.api)).toEqual(['graph', 'marketing']);
    }
  });

  it('one setting moves a Graph version everywhere it travels, including the login dialog and token URL', () => {
    const fb = definitionOf({ CONNECTOR_FACEBOOK_API_VERSION: 'v26.0' }, 'facebook');
    expect(fb.endpoints).toEqual(
      expect.objectContaining({
        authorize: 'https://www.facebook.com/v26.0/dialog/oauth',
        token: 'https://graph.facebook.com/v26.0/oauth/access_token',
        api: 'https://graph.facebook.com/v26.0',
      }),
    );
    const ads = definitionOf({ CONNECTOR_META_ADS_API_VERSION: 'v25.0' }, 'meta');
    expect(ads.endpoints.ads).toBe('https://graph.facebook.com/v25.0');
    expect(ads.apiVersions?.[1]).toEqual(expect.objectContaining({ version: 'v25.0', sunset: '2027-02-23' }));
  });

  it('a path version replaces the one an overridden URL names; a header version is the header', () => {
    const google = definitionOf(
      { CONNECTOR_GOOGLE_ADS_API_URL: 'http://127.0.0.1:9/v26', CONNECTOR_GOOGLE_ADS_API_VERSION: 'v25' },
      'google_ads',
    );
    expect(google.endpoints.api).toBe('http://127.0.0.1:9/v25');
    const linkedin = definitionOf({ CONNECTOR_LINKEDIN_API_VERSION: '202603' }, 'linkedin');
    expect(apiVersion(linkedin, 'rest')).toBe('202603');
    expect(linkedin.apiVersions).toEqual([
      { api: 'rest', version: '202603', sunset: '2027-03-16', setting: 'CONNECTOR_LINKEDIN_API_VERSION' },
    ]);
    expect(linkedin.endpoints.api).toBe('https://api.linkedin.com');
    // The setting documented before still works.
    expect(apiVersion(definitionOf({ CONNECTOR_LINKEDIN_VERSION: '202602' }, 'linkedin'), 'rest')).toBe(
      '202602',
    );
    expect(apiVersion(definitionOf({}, 'linkedin'), 'rest')).toBe('202606');
  });

  it('every type declares its versions', () => {
    for (const def of resolveDefinitions({})) {
      expect(def.apiVersions?.length).toBeGreaterThan(0);
      for (const v of def.apiVersions ?? []) expect(v.setting).toMatch(/^CONNECTOR_[A-Z_]+_API_VERSION$/);
    }
  });

  it('builds versioned URLs from any base', () => {
    expect(withVersion('https://api.x.com/2', '3')).toBe('https://api.x.com/3');
    expect(withVersion('https://graph.facebook.com', 'v27.0')).toBe('https://graph.facebook.com/v27.0');
    expect(withVersion('https://open.tiktokapis.com/v2/oauth/token/', 'v3')).toBe(
      'https://open.tiktokapis.com/v3/oauth/token/',
    );
    expect(withVersion('https://business-api.tiktok.com/open_api/v1.3', 'v1.4')).toBe(
      'https://business-api.tiktok.com/open_api/v1.4',
    );
    expect(versionOf('https://www.googleapis.com/youtube/v3')).toBe('v3');
    expect(versionOf('https://api.linkedin.com')).toBeUndefined();
  });

  it('warns within 30 days of a sunset and after it', () => {
    const day = (iso: string) => Date.parse(`${iso}T12:00:00Z`);
    expect(sunsetState(null, day('2030-01-01'))).toBe('ok');
    expect(sunsetState('2027-02-23', day('2027-01-23'))).toBe('ok');
    expect(sunsetState('2027-02-23', day('2027-01-24'))).toBe('sunset_soon');
    expect(sunsetState('2027-02-23', day('2027-02-22'))).toBe('sunset_soon');
    expect(sunsetState('2027-02-23', day('2027-02-23'))).toBe('retired');
  });
});

describe('against platforms that have retired the old versions', () => {
  const AT = Date.parse('2027-03-20T09:00:00Z');
  const offset = AT - Date.now();
  const clock = () => Date.now() + offset;
  let issuer: TestIssuer;
  let meta: MetaFake;
  let linkedin: LinkedInFake;
  const hosts: RunningHost[] = [];

  beforeAll(async () => {
    issuer = await startTestIssuer();
    meta = await MetaFake.start({ clock });
    meta.addApp({ clientId: META_APP.app_id, clientSecret: META_APP.app_secret });
    linkedin = await LinkedInFake.start({ clock });
    linkedin.addApp({ clientId: LINKEDIN_APP.client_id, clientSecret: LINKEDIN_APP.client_secret });
  });

  afterAll(async () => {
    await Promise.all(hosts.map((h) => h.stop()));
    await meta?.close();
    await linkedin?.close();
    await issuer?.close();
  });

  async function serviceWith(settings: Record<string, string>) {
    const host = await startHost({
      env: {
        AUTH_AUTHORITY: issuer.url,
        AUTH_AUDIENCE: TEST_AUDIENCE,
        ...meta.env(),
        ...linkedin.env(),
        ...settings,
      },
    });
    hosts.push(host);
    const api: Api = apiClient(host.api, await issuer.token());
    const metaId = await connectThroughFlow(api, 'meta', META_APP);
    const linkedinId = await connectThroughFlow(api, 'linkedin', LINKEDIN_APP);
    return { api, metaId, linkedinId };
  }

  it('by default uses current versions: Meta insights and LinkedIn accounts answer', async () => {
    const { api, metaId, linkedinId } = await serviceWith({});
    const insights = await api('POST', `/v1/connectors/operations/${metaId}/query`, {
      body: { query: INSIGHTS },
    });
    expect(insights.status).toBe(200);
    expect(insights.body.data.rows.length).toBeGreaterThan(0);
    const accounts = await api('GET', `/v1/connectors/operations/${metaId}/metadata`);
    expect(accounts.body.data.accounts).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: AD_ACCOUNT, kind: 'ad_account' })]),
    );
    const li = await api('GET', `/v1/connectors/operations/${linkedinId}/metadata`);
    expect(li.status).toBe(200);
    expect(li.body.data.accounts.map((a: { kind: string }) => a.kind)).toContain('ad_account');

    const health = await api('GET', '/health', { token: null });
    expect(health.status).toBe(200);
    const versions = health.body.api_versions as Array<Record<string, unknown>>;
    expect(versions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'meta', api: 'graph', version: 'v25.0', sunset: '2028-07-29' }),
        expect.objectContaining({ type: 'meta', api: 'marketing', version: 'v27.0', sunset: null }),
        expect.objectContaining({ type: 'linkedin', api: 'rest', version: '202606', sunset: '2027-06-01' }),
        expect.objectContaining({ type: 'google_ads', api: 'google_ads', version: 'v26' }),
      ]),
    );
    expect(new Set(versions.map((v) => v.type))).toEqual(
      new Set([
        'meta',
        'google_ads',
        'facebook',
        'instagram',
        'twitter',
        'linkedin',
        'youtube',
        'tiktok',
        'tiktok_ads',
      ]),
    );
    // The status follows the versions' own states (it turns `degraded` as a sunset nears, whatever the date).
    const current = versions.every((v) => v.status === 'ok');
    expect(health.body.status).toBe(current ? 'ok' : 'degraded');
  });

  it('a retired version answers an error naming the setting to change; the connection stays active', async () => {
    const { api, metaId, linkedinId } = await serviceWith({
      CONNECTOR_META_ADS_API_VERSION: 'v25.0',
      CONNECTOR_LINKEDIN_API_VERSION: '202603',
      CONNECTOR_GOOGLE_ADS_API_VERSION: 'v22',
    });
    const insights = await api('POST', `/v1/connectors/operations/${metaId}/query`, {
      body: { query: INSIGHTS },
    });
    expect(insights.status).toBe(502);
    expect(insights.body.code).toBe('platform_version_retired');
    expect(insights.body.error).toContain('CONNECTOR_META_ADS_API_VERSION');
    const li = await api('GET', `/v1/connectors/operations/${linkedinId}/metadata`);
    expect(li.status).toBe(502);
    expect(li.body.code).toBe('platform_version_retired');
    expect(li.body.error).toContain('CONNECTOR_LINKEDIN_API_VERSION');
    for (const id of [metaId, linkedinId]) {
      expect((await api('GET', `/v1/connectors/oauth/${id}`)).body.data.status).toBe('active');
    }

    // Google Ads v22 was sunset on 2026-10-07: /health warns, and stays 200 (a warning, not an outage).
    const health = await api('GET', '/health', { token: null });
    expect(health.status).toBe(200);
    expect(health.body.status).toBe('degraded');
    expect(health.body.api_versions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          type: 'google_ads',
          version: 'v22',
          sunset: '2026-10-07',
          status: 'retired',
        }),
      ]),
    );
  });
});
