import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// Connector configurations through real HTTP: local host, embedded Azurite, local secret store, platform fakes.
import { LinkedInFake } from './fakes/linkedin';
import { MetaFake } from './fakes/meta';
import { TikTokFake } from './fakes/tiktok';
import { XFake } from './fakes/x';
import { Api, apiClient } from './support/api';
import { startTestIssuer, TENANT_B, TEST_AUDIENCE, TestIssuer } from './support/issuer';
import { RunningHost, startHost } from './support/localHost';
import { secretsInText, secretsOnDisk } from './support/scan';

const META_SECRET = 'meta-app-secret-0123456789abcdef';
const X_SECRET = 'x-consumer-secret-ABCDEFGHIJKLMNOP';
const LI_SECRET = 'linkedin-client-secret-zyxwvu987';
const TT_SECRET = 'tiktok-client-secret-qrstuv6543';
const SHORT_TOKEN = 'tok-short';
const ALL_SECRETS = [META_SECRET, X_SECRET, LI_SECRET, TT_SECRET, 'page-access-token-9876543210'];

let issuer: TestIssuer;
let host: RunningHost;
let meta: MetaFake;
let x: XFake;
let linkedin: LinkedInFake;
let tiktok: TikTokFake;
let api: Api;
let dataDir: string;
let apiB: Api;

beforeAll(async () => {
  issuer = await startTestIssuer();
  [meta, x, linkedin, tiktok] = await Promise.all([
    MetaFake.start(),
    XFake.start(),
    LinkedInFake.start(),
    TikTokFake.start(),
  ]);
  meta.addApp({ clientId: '1234567890', clientSecret: META_SECRET });
  x.addConsumerKey('xconsumerkey', X_SECRET);
  linkedin.addApp({ clientId: 'li0client', clientSecret: LI_SECRET });
  tiktok.addApp({ clientId: 'ttclientkey', clientSecret: TT_SECRET });
  dataDir = mkdtempSync(join(tmpdir(), 'st-configs-'));
  host = await startHost({
    dataDir,
    env: {
      AUTH_AUTHORITY: issuer.url,
      AUTH_AUDIENCE: TEST_AUDIENCE,
      ...meta.env(),
      ...x.env(),
      ...linkedin.env(),
      ...tiktok.env(),
    },
  });
  api = apiClient(host.api, await issuer.token());
  apiB = apiClient(host.api, await issuer.token({ tid: TENANT_B }));
});

afterAll(async () => {
  await host?.stop();
  await Promise.all([meta?.close(), x?.close(), linkedin?.close(), tiktok?.close(), issuer?.close()]);
  rmSync(dataDir, { recursive: true, force: true });
});

const facebookConfig = {
  app_id: '1234567890',
  app_secret: META_SECRET,
  access_token: 'page-access-token-9876543210',
  verify_token: SHORT_TOKEN,
  page_id: '555',
};

async function createFacebook(name = 'FB page') {
  const res = await api('POST', '/v1/connectors/configs', {
    body: { name, connector_type: 'FACEBOOK', config: facebookConfig },
  });
  expect(res.status).toBe(201);
  return res;
}

describe('create, read, mask', () => {
  it('creates a record in pending_setup with every secret masked', async () => {
    const res = await createFacebook();
    expect(res.headers.get('etag')).toBeTruthy();
    expect(res.headers.get('location')).toBe(`/api/v1/connectors/configs/${res.body.data.id}`);
    expect(res.body.data).toEqual(
      expect.objectContaining({
        name: 'FB page',
        connector_type: 'facebook',
        status: 'pending_setup',
        last_verified_at: null,
        config: {
          app_id: '1234567890',
          app_secret: 'meta********cdef',
          access_token: 'page********3210',
          verify_token: '********',
          page_id: '555',
        },
      }),
    );
    const id = res.body.data.id;
    const got = await api('GET', `/v1/connectors/configs/${id}`);
    expect(got.body.data.config).toEqual(res.body.data.config);
    const masked = await api('GET', `/v1/connectors/configs/${id}/config`);
    expect(masked.body.data).toEqual(res.body.data.config);
  });

  it('rejects bad input with 400 and details', async () => {
    const invalid = await api('POST', '/v1/connectors/configs', {
      body: { name: 'x', connector_type: 'facebook', config: { app_id: 'abc', bogus: 1 } },
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body.details).toEqual(
      expect.arrayContaining([{ path: '/app_secret', message: 'is required' }]),
    );
    expect(
      (
        await api('POST', '/v1/connectors/configs', {
          body: { name: 'x', connector_type: 'myspace', config: {} },
        })
      ).status,
    ).toBe(400);
    expect(
      (
        await api('POST', '/v1/connectors/configs', {
          body: { connector_type: 'facebook', config: facebookConfig },
        })
      ).status,
    ).toBe(400);
    expect((await api('GET', '/v1/connectors/configs/not-a-uuid')).status).toBe(404);
  });
});

describe('list', () => {
  it('filters by type and status and pages with a continuation token', async () => {
    await api('POST', '/v1/connectors/configs', {
      body: {
        name: 'TikTok',
        connector_type: 'tiktok',
        config: { client_key: 'ttclientkey', client_secret: TT_SECRET },
      },
    });
    const fb = await api('GET', '/v1/connectors/configs?type=facebook');
    expect(fb.body.data.length).toBeGreaterThan(0);
    expect(fb.body.data.every((c: { connector_type: string }) => c.connector_type === 'facebook')).toBe(true);
    const pending = await api('GET', '/v1/connectors/configs?status=pending_setup');
    expect(pending.body.data.every((c: { status: string }) => c.status === 'pending_setup')).toBe(true);

    const seen: string[] = [];
    let token: string | null = null;
    do {
      const page: Awaited<ReturnType<Api>> = await api(
        'GET',
        `/v1/connectors/configs?limit=1${token ? `&continuation_token=${encodeURIComponent(token)}` : ''}`,
      );
      expect(page.body.data.length).toBeLessThanOrEqual(1);
      seen.push(...page.body.data.map((c: { id: string }) => c.id));
      token = page.body.metadata.continuation_token;
    } while (token);
    const all = await api('GET', '/v1/connectors/configs?limit=100');
    expect(seen.sort()).toEqual(all.body.data.map((c: { id: string }) => c.id).sort());
  });

  it('refuses OData injection in the filters', async () => {
    for (const q of [
      "type=facebook' or PartitionKey ne 'x",
      "status=active' or '1' eq '1",
      'limit=1000',
      'continuation_token=%00%01',
      'continuation_token=aGVsbG8',
      'continuation_token=eyJhIjoxfQ',
    ]) {
      const res = await api('GET', `/v1/connectors/configs?${q}`);
      expect(res.status).toBe(400);
    }
    // Another tenant's records cannot be reached by any filter.
    const res = await apiB('GET', '/v1/connectors/configs?status=pending_setup');
    expect(res.body.data).toEqual([]);
  });
});

describe('patch', () => {
  it('merges fields, keeps a secret sent back masked, clears an optional secret with null', async () => {
    const { body } = await createFacebook('to patch');
    const id = body.data.id;
    const echoed = await api('PATCH', `/v1/connectors/configs/${id}`, {
      body: { name: 'renamed', config: { ...body.data.config, page_id: '777', access_token: null } },
    });
    expect(echoed.status).toBe(200);
    expect(echoed.body.data.name).toBe('renamed');
    expect(echoed.body.data.config).toEqual({
      app_id: '1234567890',
      app_secret: 'meta********cdef',
      verify_token: '********',
      page_id: '777',
    });
    // The masked echo kept the real secret: verification with it still succeeds.
    const verified = await api('POST', `/v1/connectors/configs/${id}/verify`);
    expect(verified.body.data.status).toBe('active');
    expect(
      (await api('PATCH', `/v1/connectors/configs/${id}`, { body: { config: { app_secret: null } } })).status,
    ).toBe(400);
    expect((await api('PATCH', `/v1/connectors/configs/${id}`, { body: { status: 'error' } })).status).toBe(
      400,
    );
    expect((await api('PATCH', `/v1/connectors/configs/${id}`, { body: { owner: 'me' } })).status).toBe(400);
    const inactive = await api('PATCH', `/v1/connectors/configs/${id}`, { body: { status: 'inactive' } });
    expect(inactive.body.data.status).toBe('inactive');
  });

  it('honours If-Match', async () => {
    const created = await createFacebook('etag');
    const id = created.body.data.id;
    const etag = created.headers.get('etag') as string;
    const first = await api('PATCH', `/v1/connectors/configs/${id}`, {
      body: { name: 'one' },
      headers: { 'if-match': etag },
    });
    expect(first.status).toBe(200);
    const stale = await api('PATCH', `/v1/connectors/configs/${id}`, {
      body: { name: 'two' },
      headers: { 'if-match': etag },
    });
    expect(stale.status).toBe(412);
    expect((await api('GET', `/v1/connectors/configs/${id}`)).body.data.name).toBe('one');
  });

  it('loses no write when PATCHes race', async () => {
    const { body } = await createFacebook('race');
    const id = body.data.id;
    const changes = [
      { page_id: '1001' },
      { access_token: 'race-access-token-123456' },
      { refresh_token: 'race-refresh-token-123456' },
      { verify_token: 'race-verify-token-123456' },
    ];
    const results = await Promise.all(
      changes.map((config) => api('PATCH', `/v1/connectors/configs/${id}`, { body: { config } })),
    );
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    const final = (await api('GET', `/v1/connectors/configs/${id}`)).body.data.config;
    expect(final.page_id).toBe('1001');
    expect(final.access_token).toBe('race********3456');
    expect(final.refresh_token).toBe('race********3456');
    expect(final.verify_token).toBe('race********3456');
  });
});

describe('tenant isolation', () => {
  it('answers 404 to another tenant on every route', async () => {
    const { body } = await createFacebook('mine');
    const id = body.data.id;
    expect((await apiB('GET', `/v1/connectors/configs/${id}`)).status).toBe(404);
    expect((await apiB('GET', `/v1/connectors/configs/${id}/config`)).status).toBe(404);
    expect((await apiB('PATCH', `/v1/connectors/configs/${id}`, { body: { name: 'theirs' } })).status).toBe(
      404,
    );
    expect((await apiB('POST', `/v1/connectors/configs/${id}/verify`)).status).toBe(404);
    expect((await apiB('DELETE', `/v1/connectors/configs/${id}`)).status).toBe(404);
    expect((await apiB('GET', '/v1/connectors/configs')).body.data).toEqual([]);
    expect((await api('GET', `/v1/connectors/configs/${id}`)).body.data.name).toBe('mine');
  });
});

describe('verify against the platform fakes', () => {
  const cases: Array<[string, Record<string, string>, Record<string, string>]> = [
    ['facebook', facebookConfig, { app_secret: 'wrong-secret-000000000000' }],
    ['meta', { app_id: '1234567890', app_secret: META_SECRET }, { app_secret: 'wrong-secret-000000000000' }],
    [
      'twitter',
      { api_key: 'xconsumerkey', api_secret: X_SECRET },
      { api_secret: 'wrong-secret-000000000000' },
    ],
    [
      'linkedin',
      { client_id: 'li0client', client_secret: LI_SECRET },
      { client_secret: 'wrong-secret-00000000' },
    ],
    [
      'tiktok',
      { client_key: 'ttclientkey', client_secret: TT_SECRET },
      { client_secret: 'wrong-secret-00000000' },
    ],
  ];

  it.each(cases)(
    '%s: right secret → active, wrong secret → error with a reason',
    async (type, config, wrong) => {
      const good = await api('POST', '/v1/connectors/configs', {
        body: { name: `${type} good`, connector_type: type, config },
      });
      const ok = await api('POST', `/v1/connectors/configs/${good.body.data.id}/verify`);
      expect(ok.status).toBe(200);
      expect(ok.body.data).toEqual(
        expect.objectContaining({ status: 'active', last_error: null, verified: true }),
      );
      expect(ok.body.data.last_verified_at).toEqual(expect.any(String));

      const bad = await api('POST', '/v1/connectors/configs', {
        body: { name: `${type} bad`, connector_type: type, config: { ...config, ...wrong } },
      });
      const failed = await api('POST', `/v1/connectors/configs/${bad.body.data.id}/verify`);
      expect(failed.status).toBe(200);
      expect(failed.body.data.status).toBe('error');
      expect(failed.body.data.last_error).toMatch(/rejected/);
      expect(JSON.stringify(failed.body)).not.toContain(Object.values(wrong)[0]);
    },
  );
});

describe('delete', () => {
  it('removes the record and its secret, and a second delete is 404', async () => {
    const { body } = await createFacebook('bye');
    const id = body.data.id;
    expect((await api('DELETE', `/v1/connectors/configs/${id}`)).status).toBe(200);
    expect((await api('GET', `/v1/connectors/configs/${id}`)).status).toBe(404);
    expect((await api('DELETE', `/v1/connectors/configs/${id}`)).status).toBe(404);
  });
});

describe('no secret in plaintext anywhere', () => {
  it('is absent from what Azurite wrote to disk and from the logs', async () => {
    // Stopping the host closes Azurite, which flushes its database to disk.
    await host.stop();
    // A positive control: what is not secret (a record's name) is on disk, so the scan reads the data.
    expect(secretsOnDisk(`${dataDir}/azurite`, ['renamed'])).toEqual(['renamed']);
    expect(secretsOnDisk(`${dataDir}/azurite`, ALL_SECRETS)).toEqual([]);
    expect(secretsInText(host.output(), [...ALL_SECRETS, SHORT_TOKEN])).toEqual([]);
  });
});
