// Logging in as the platforms' products require, and credentials kept as credentials: Facebook Login for Business
// (config_id instead of scope), LinkedIn's scopes (r_ads for ad accounts; an app with the Community Management API
// alone), and X's and YouTube's api_key stored as secrets and masked.
import { LinkedInFake } from './fakes/linkedin';
import { MetaFake } from './fakes/meta';
import { Api, apiClient } from './support/api';
import { connectThroughFlow } from './support/connect';
import { followAuthorization } from './support/oauthFlow';
import { startTestIssuer, TEST_AUDIENCE, TestIssuer } from './support/issuer';
import { RunningHost, startHost } from './support/localHost';

const FLFB_APP = { app_id: '9191919191', app_secret: 'meta-flfb-secret-0123456789' };
const LOGIN_CONFIG = '900000000000001';
const CLASSIC_APP = { app_id: '9292929292', app_secret: 'meta-classic-secret-0123456789' };
const ADS_APP = { client_id: 'liAdsApp', client_secret: 'linkedin-ads-secret-0123456789' };
const CM_APP = { client_id: 'liCmOnly', client_secret: 'linkedin-cm-secret-0123456789' };
const CM_SCOPES = ['rw_organization_admin', 'w_organization_social', 'r_organization_social'];

let issuer: TestIssuer;
let meta: MetaFake;
let linkedin: LinkedInFake;
let host: RunningHost;
let api: Api;

beforeAll(async () => {
  issuer = await startTestIssuer();
  meta = await MetaFake.start();
  meta.addApp({ clientId: FLFB_APP.app_id, clientSecret: FLFB_APP.app_secret });
  meta.addApp({ clientId: CLASSIC_APP.app_id, clientSecret: CLASSIC_APP.app_secret });
  meta.addLoginConfiguration(FLFB_APP.app_id, LOGIN_CONFIG, [
    'ads_read',
    'pages_show_list',
    'business_management',
  ]);
  linkedin = await LinkedInFake.start();
  linkedin.addApp({ clientId: ADS_APP.client_id, clientSecret: ADS_APP.client_secret });
  linkedin.setAppProducts(ADS_APP.client_id, ['advertising', 'sign_in_openid']);
  linkedin.addApp({ clientId: CM_APP.client_id, clientSecret: CM_APP.client_secret });
  linkedin.setAppProducts(CM_APP.client_id, ['community_management']);
  host = await startHost({
    env: { AUTH_AUTHORITY: issuer.url, AUTH_AUDIENCE: TEST_AUDIENCE, ...meta.env(), ...linkedin.env() },
  });
  api = apiClient(host.api, await issuer.token());
});

afterAll(async () => {
  await host?.stop();
  await meta?.close();
  await linkedin?.close();
  await issuer?.close();
});

it('Meta: the app secret travels in POST bodies only, never in a URL (code exchange, long-lived exchange, verify)', async () => {
  const before = meta.stats.codeExchanges;
  const cfg = await api('POST', '/v1/connectors/configs', {
    body: { name: 'Meta secret in body', connector_type: 'meta', config: CLASSIC_APP },
  });
  expect(cfg.status).toBe(201);
  const verified = await api('POST', `/v1/connectors/configs/${cfg.body.data.id}/verify`);
  expect(verified.body.data.status).toBe('active');
  const created = await api('POST', '/v1/connectors/oauth', {
    body: { connector_type: 'meta', config_id: cfg.body.data.id, scopes: ['ads_read'] },
  });
  const flow = await followAuthorization(created.body.data.authorization_url);
  expect(flow.callbackStatus).toBeLessThan(400);
  expect((await api('GET', `/v1/connectors/oauth/${created.body.data.id}`)).body.data.status).toBe('active');
  // The exchanges happened, through the token endpoint as POSTs, and no request put the secret in its URL.
  expect(meta.stats.codeExchanges).toBeGreaterThan(before);
  expect(
    meta.stats.requests.filter((r) => /oauth\/access_token/.test(r.path)).map((r) => r.method),
  ).not.toContain('GET');
  expect(meta.stats.secretsInUrl).toBe(0);
});

const kinds = (accounts: Array<{ kind: string }>) => [...new Set(accounts.map((a) => a.kind))];

it('Facebook Login for Business: a login_config_id sends config_id instead of scope, and the login works', async () => {
  const cfg = await api('POST', '/v1/connectors/configs', {
    body: { name: 'FLfB', connector_type: 'meta', config: { ...FLFB_APP, login_config_id: LOGIN_CONFIG } },
  });
  expect(cfg.status).toBe(201);
  const created = await api('POST', '/v1/connectors/oauth', {
    body: { connector_type: 'meta', config_id: cfg.body.data.id },
  });
  const url = new URL(created.body.data.authorization_url);
  expect(url.searchParams.get('config_id')).toBe(LOGIN_CONFIG);
  expect(url.searchParams.has('scope')).toBe(false);
  const flow = await followAuthorization(created.body.data.authorization_url);
  expect(flow.callbackStatus).toBeLessThan(400);
  const connection = await api('GET', `/v1/connectors/oauth/${created.body.data.id}`);
  expect(connection.body.data.status).toBe('active');
});

it('LinkedIn: the default scopes include r_ads, so an Advertising API app lists its ad accounts', async () => {
  const id = await connectThroughFlow(api, 'linkedin', ADS_APP);
  const res = await api('GET', `/v1/connectors/operations/${id}/metadata`);
  expect(res.status).toBe(200);
  expect(kinds(res.body.data.accounts)).toEqual(['organization', 'ad_account']);
});

it('LinkedIn: an app with the Community Management API alone connects with its own scopes', async () => {
  // The default scopes ask for what such an app cannot grant: LinkedIn refuses the authorization.
  const refused = await api('POST', '/v1/connectors/oauth', {
    body: { connector_type: 'linkedin', config_id: await configFor(CM_APP) },
  });
  const flow = await followAuthorization(refused.body.data.authorization_url);
  expect(flow.callbackUrl).toContain('error=unauthorized_scope_error');

  const id = await connectThroughFlow(api, 'linkedin', CM_APP, { scopes: CM_SCOPES });
  const res = await api('GET', `/v1/connectors/operations/${id}/metadata`);
  expect(res.status).toBe(200);
  expect(kinds(res.body.data.accounts)).toEqual(['organization']);
});

async function configFor(app: Record<string, string>): Promise<string> {
  const cfg = await api('POST', '/v1/connectors/configs', {
    body: { name: 'app', connector_type: 'linkedin', config: app },
  });
  return cfg.body.data.id;
}

it('X and YouTube api_key are credentials: writeOnly, kept as secrets, masked', async () => {
  for (const type of ['twitter', 'youtube']) {
    const schema = (await api('GET', `/v1/connectors/types/${type}/schema`)).body.data;
    expect(schema.properties.api_key.writeOnly).toBe(true);
  }
  const key = 'xConsumerKeyAbcdefghijkl0123';
  const cfg = await api('POST', '/v1/connectors/configs', {
    body: {
      name: 'X app',
      connector_type: 'twitter',
      config: { api_key: key, api_secret: 'x-consumer-secret-0123456789' },
    },
  });
  expect(cfg.status).toBe(201);
  expect(cfg.body.data.config.api_key).toBe(`${key.slice(0, 4)}********${key.slice(-4)}`);
  const read = await api('GET', `/v1/connectors/configs/${cfg.body.data.id}/config`);
  expect(JSON.stringify(read.body)).not.toContain(key);
});
