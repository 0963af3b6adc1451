// OAuth connections end to end through real HTTP, for every platform family: create → authorize at the fake
// → callback → active → test → refresh → delete; and the attacks on the flow.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AllFakes, startAllFakes } from './fakes';
import { FakeConnectorType, PlatformFake } from './fakes/types';
import { Api, apiClient } from './support/api';
import { expectError, expectOk, TypedClient, typedClient } from './support/client';
import { startTestIssuer, TENANT_B, TEST_AUDIENCE, TestIssuer } from './support/issuer';
import { RunningHost, startHost } from './support/localHost';
import { callCallback, followAuthorization } from './support/oauthFlow';
import { secretsInText, secretsOnDisk } from './support/scan';

const RETURN_ORIGIN = 'https://app.example.test';
const DEV_TOKEN = 'google-ads-developer-token-123';

let issuer: TestIssuer;
let host: RunningHost;
let fakes: AllFakes;
let api: Api;
let apiB: Api;
/** The typed client, generated from the served document: the main flows go through it. */
let client: TypedClient;
let dataDir: string;

function fake(type: FakeConnectorType): PlatformFake {
  const found = fakes.fakes.find((f) => f.types.includes(type));
  if (!found) throw new Error(`no fake serves ${type}`);
  return found;
}

interface Family {
  type: string;
  fake: () => PlatformFake;
  config: Record<string, string>;
  clientId: string;
  clientSecret: string;
}

const families: Family[] = [
  {
    type: 'facebook',
    fake: () => fake('facebook'),
    clientId: '1111111111',
    clientSecret: 'fb-app-secret-0123456789',
    config: {},
  },
  {
    type: 'instagram',
    fake: () => fake('instagram'),
    clientId: '2222222222',
    clientSecret: 'ig-app-secret-0123456789',
    config: {},
  },
  {
    type: 'meta',
    fake: () => fake('meta'),
    clientId: '3333333333',
    clientSecret: 'meta-app-secret-01234567',
    config: {},
  },
  {
    type: 'google_ads',
    fake: () => fake('google_ads'),
    clientId: 'ads-client.apps.googleusercontent.com',
    clientSecret: 'gads-client-secret-0123456',
    config: { developer_token: DEV_TOKEN },
  },
  {
    type: 'youtube',
    fake: () => fake('youtube'),
    clientId: 'yt-client.apps.googleusercontent.com',
    clientSecret: 'yt-client-secret-01234567',
    config: {},
  },
  {
    type: 'twitter',
    fake: () => fake('twitter'),
    clientId: 'xoauthclient',
    clientSecret: 'x-client-secret-0123456789',
    config: { api_key: 'xkey', api_secret: 'x-api-secret-0123456789' },
  },
  {
    type: 'linkedin',
    fake: () => fake('linkedin'),
    clientId: 'liclient01',
    clientSecret: 'li-client-secret-012345678',
    config: {},
  },
  {
    type: 'tiktok',
    fake: () => fake('tiktok'),
    clientId: 'ttclient01',
    clientSecret: 'tt-client-secret-012345678',
    config: {},
  },
];

function configFor(f: Family): Record<string, string> {
  switch (f.type) {
    case 'facebook':
    case 'meta':
      return { app_id: f.clientId, app_secret: f.clientSecret, ...f.config };
    case 'tiktok':
      return { client_key: f.clientId, client_secret: f.clientSecret, ...f.config };
    default:
      return { client_id: f.clientId, client_secret: f.clientSecret, ...f.config };
  }
}

beforeAll(async () => {
  issuer = await startTestIssuer();
  fakes = await startAllFakes();
  for (const f of families) f.fake().addApp({ clientId: f.clientId, clientSecret: f.clientSecret });
  dataDir = mkdtempSync(join(tmpdir(), 'st-oauth-'));
  host = await startHost({
    dataDir,
    env: {
      AUTH_AUTHORITY: issuer.url,
      AUTH_AUDIENCE: TEST_AUDIENCE,
      OAUTH_ALLOWED_RETURN_URLS: RETURN_ORIGIN,
      ...fakes.env,
    },
  });
  api = apiClient(host.api, await issuer.token());
  apiB = apiClient(host.api, await issuer.token({ tid: TENANT_B }));
  client = typedClient(host.url, await issuer.token());
});

const CONNECTIONS = '/api/v1/connectors/oauth';
const CONNECTION = '/api/v1/connectors/oauth/{connection_id}';
const at = (connection_id: string) => ({ params: { path: { connection_id } } });

afterAll(async () => {
  await host?.stop();
  await fakes?.close();
  await issuer?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function newConfig(f: Family): Promise<string> {
  const res = await client.POST('/api/v1/connectors/configs', {
    body: { name: `${f.type} app`, connector_type: f.type, config: configFor(f) },
  });
  return expectOk(res, 201).data.id;
}

async function startConnection(f: Family) {
  const configId = await newConfig(f);
  const res = await client.POST(CONNECTIONS, {
    body: { connector_type: f.type, config_id: configId, return_url: `${RETURN_ORIGIN}/done?x=1` },
  });
  const { data: connection } = expectOk(res, 201);
  expect(connection.status).toBe('pending');
  expect(res.response.headers.get('location')).toBe(`/api/v1/connectors/oauth/${connection.id}`);
  return { configId, connection };
}

async function connect(f: Family) {
  const { connection } = await startConnection(f);
  const flow = await followAuthorization(connection.authorization_url);
  expect(flow.callbackStatus).toBe(302);
  return { id: connection.id, flow };
}

describe.each(families)('$type: the whole flow', (f) => {
  it('create → authorize → callback → active → test → refresh → delete', async () => {
    const platform = f.fake();
    const before = { ...platform.stats };
    const { connection } = await startConnection(f);
    const authUrl = new URL(connection.authorization_url);
    expect(authUrl.searchParams.get('state')).toMatch(/^[\w-]{40,}$/);

    const flow = await followAuthorization(connection.authorization_url);
    expect(flow.callbackStatus).toBe(302);
    const back = new URL(flow.location as string);
    expect(back.origin + back.pathname).toBe(`${RETURN_ORIGIN}/done`);
    expect(Object.fromEntries(back.searchParams)).toEqual({
      x: '1',
      connection_id: connection.id,
      status: 'active',
    });

    const id = at(connection.id);
    const got = expectOk(await client.GET(CONNECTION, id)).data;
    expect(got).toEqual(expect.objectContaining({ status: 'active', connector_type: f.type }));
    expect(got.account_id).toEqual(expect.any(String));

    const test = '/api/v1/connectors/oauth/{connection_id}/test';
    const refresh = '/api/v1/connectors/oauth/{connection_id}/refresh';
    const tested = expectOk(await client.POST(test, id)).data;
    expect(tested.ok).toBe(true);
    expect(tested.connection.last_tested_at).toEqual(expect.any(String));

    const refreshed = expectOk(await client.POST(refresh, id)).data;
    expect(refreshed.status).toBe('active');
    expect(platform.stats.refreshes).toBeGreaterThan(before.refreshes);
    // Still usable with the renewed tokens.
    expect(expectOk(await client.POST(test, id)).data.ok).toBe(true);
    // A second renewal works too: what the platform did not send again (Google's refresh token) was kept,
    // and what it rotated (X, TikTok) was stored and used.
    expectOk(await client.POST(refresh, id));
    expect(platform.stats.refreshes).toBeGreaterThanOrEqual(before.refreshes + 2);

    const revocations = platform.stats.revocations;
    const deleted = expectOk(await client.DELETE(CONNECTION, id)).data;
    expect(deleted).toEqual({ id: connection.id, deleted: true, revoked: true });
    expect(platform.stats.revocations).toBe(revocations + 1);
    expectError(await client.GET(CONNECTION, id), 404);
    expectError(await client.DELETE(CONNECTION, id), 404);
  });
});

describe('platform refusal and the HTML page', () => {
  it('error=access_denied marks the connection error and redirects with the code', async () => {
    const f = families[0];
    f.fake().denyNextConsent();
    const { connection } = await startConnection(f);
    const flow = await followAuthorization(connection.authorization_url);
    const back = new URL(flow.location as string);
    expect(back.searchParams.get('status')).toBe('error');
    expect(back.searchParams.get('error')).toBe('access_denied');
    expect(expectOk(await client.GET(CONNECTION, at(connection.id))).data.status).toBe('error');
  });

  it('without return_url answers an escaped HTML page with no script, not cacheable', async () => {
    const f = families[6];
    const configId = await newConfig(f);
    const created = expectOk(
      await client.POST(CONNECTIONS, {
        body: { connector_type: f.type, config_id: configId, name: '<script>alert(1)</script>' },
      }),
      201,
    );
    const flow = await followAuthorization(created.data.authorization_url);
    expect(flow.callbackStatus).toBe(200);
    expect(flow.callbackBody).toContain('&lt;script&gt;');
    expect(flow.callbackBody).not.toMatch(/<script/i);
    expect(flow.callbackHeaders.get('cache-control')).toBe('no-store');
    expect(flow.callbackHeaders.get('referrer-policy')).toBe('no-referrer');
    expect(flow.callbackHeaders.get('content-security-policy')).toMatch(/default-src 'none'/);
  });
});

describe('attacks on the flow', () => {
  it('a replayed, tampered or unknown state answers 400 and changes nothing', async () => {
    const { id, flow } = await connect(families[7]);
    const replay = await callCallback(flow.callbackUrl);
    expect(replay.callbackStatus).toBe(400);
    const tampered = new URL(flow.callbackUrl);
    tampered.searchParams.set('state', `${tampered.searchParams.get('state')}x`);
    expect((await callCallback(tampered.toString())).callbackStatus).toBe(400);
    const missing = new URL(flow.callbackUrl);
    missing.searchParams.delete('state');
    expect((await callCallback(missing.toString())).callbackStatus).toBe(400);
    expect((await api('GET', `/v1/connectors/oauth/${id}`)).body.data.status).toBe('active');
  });

  it('two concurrent callbacks with one state: exactly one wins', async () => {
    const f = families[5];
    const { connection } = await startConnection(f);
    const consent = await fetch(connection.authorization_url, { redirect: 'manual' });
    const callbackUrl = consent.headers.get('location') as string;
    const exchangesBefore = f.fake().stats.codeExchanges;
    const results = await Promise.all([callCallback(callbackUrl), callCallback(callbackUrl)]);
    expect(results.map((r) => r.callbackStatus).sort()).toEqual([302, 400]);
    expect(f.fake().stats.codeExchanges - exchangesBefore).toBe(1);
  });

  it('a code from another flow does not complete this one', async () => {
    const f = families[3];
    const a = await startConnection(f);
    const b = await startConnection(f);
    const consentA = await fetch(a.connection.authorization_url, { redirect: 'manual' });
    const consentB = await fetch(b.connection.authorization_url, { redirect: 'manual' });
    const codeA = new URL(consentA.headers.get('location') as string).searchParams.get('code') as string;
    const mixed = new URL(consentB.headers.get('location') as string);
    mixed.searchParams.set('code', codeA);
    const flow = await callCallback(mixed.toString());
    expect(new URL(flow.location as string).searchParams.get('status')).toBe('error');
    expect((await api('GET', `/v1/connectors/oauth/${b.connection.id}`)).body.data.status).toBe('error');
  });

  it('an expired state answers 400', async () => {
    // States live 10 minutes; this one is made to look old by the issuer of the flow: simulate with a bogus state.
    const res = await fetch(`${host.api}/v1/connectors/oauth/callback?state=${'a'.repeat(43)}&code=x`, {
      redirect: 'manual',
    });
    expect(res.status).toBe(400);
  });

  it('return_url to a foreign origin is refused with 400', async () => {
    const f = families[0];
    const configId = await newConfig(f);
    for (const returnUrl of [
      'https://evil.example/steal',
      'javascript:alert(1)',
      '//evil.example',
      `${RETURN_ORIGIN}.evil.example/`,
    ]) {
      const res = await api('POST', '/v1/connectors/oauth', {
        body: { connector_type: f.type, config_id: configId, return_url: returnUrl },
      });
      expect(res.status).toBe(400);
    }
  });

  it('another tenant cannot read, refresh, test, reconnect or delete (404), nor use the config', async () => {
    const { id } = await connect(families[4]);
    for (const [method, path] of [
      ['GET', `/v1/connectors/oauth/${id}`],
      ['POST', `/v1/connectors/oauth/${id}/refresh`],
      ['POST', `/v1/connectors/oauth/${id}/test`],
      ['POST', `/v1/connectors/oauth/${id}/reconnect`],
      ['DELETE', `/v1/connectors/oauth/${id}`],
    ]) {
      expect((await apiB(method, path)).status).toBe(404);
    }
    expect((await apiB('GET', '/v1/connectors/oauth')).body.data).toEqual([]);
    const configId = await newConfig(families[4]);
    expect(
      (
        await apiB('POST', '/v1/connectors/oauth', {
          body: { connector_type: 'youtube', config_id: configId },
        })
      ).status,
    ).toBe(404);
    expect((await api('GET', `/v1/connectors/oauth/${id}`)).body.data.status).toBe('active');
  });
});

describe('lifecycle', () => {
  it('an expired grant becomes status expired with a message to reconnect; reconnect keeps the id', async () => {
    const f = families[6];
    const { id } = await connect(f);
    f.fake().revokeAllGrants();
    expectError(await client.POST('/api/v1/connectors/oauth/{connection_id}/refresh', at(id)), 409);
    const after = expectOk(await client.GET(CONNECTION, at(id))).data;
    expect(after.status).toBe('expired');
    expect(after.last_error).toMatch(/[Rr]econnect/);

    const again = expectOk(
      await client.POST('/api/v1/connectors/oauth/{connection_id}/reconnect', {
        ...at(id),
        body: { return_url: `${RETURN_ORIGIN}/r` },
      }),
    ).data;
    expect(again.id).toBe(id);
    const flow = await followAuthorization(again.authorization_url);
    expect(new URL(flow.location as string).searchParams.get('connection_id')).toBe(id);
    expect(expectOk(await client.GET(CONNECTION, at(id))).data.status).toBe('active');
  });

  it('lists with filters', async () => {
    const all = expectOk(await client.GET(CONNECTIONS, { params: { query: { type: 'linkedin' } } }));
    expect(all.data.every((c) => c.connector_type === 'linkedin')).toBe(true);
    expect(all.metadata.unreadable).toEqual([]);
    expect((await api('GET', "/v1/connectors/oauth?status=active' or 'a' eq 'a")).status).toBe(400);
    expect((await api('GET', '/v1/connectors/oauth?continuation_token=aGVsbG8')).status).toBe(400);
  });
});

describe('no token outside the secret store', () => {
  it('is in no response, log line or table file', async () => {
    const body = JSON.stringify(
      expectOk(await client.GET(CONNECTIONS, { params: { query: { limit: 100 } } })),
    );
    expect(body).not.toMatch(/access_token|refresh_token/);
    await host.stop();
    const secrets = families.map((f) => f.clientSecret);
    expect(secretsInText(host.output(), secrets)).toEqual([]);
    // Positive control: a connection's name is on disk, so the scan does read the tables.
    expect(secretsOnDisk(join(dataDir, 'azurite'), ['<script>alert(1)</script>'])).toHaveLength(1);
    expect(secretsOnDisk(join(dataDir, 'azurite'), secrets)).toEqual([]);
    expect(host.output()).not.toMatch(/"code":"[^"]{10,}"|code=[\w*!.-]{10,}/);
  });
});
