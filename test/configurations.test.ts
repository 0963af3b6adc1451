import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// Connector configurations through real HTTP: local host, embedded Azurite, local secret store, platform fakes.
import { LinkedInFake } from './fakes/linkedin';
import { MetaFake } from './fakes/meta';
import { TikTokFake } from './fakes/tiktok';
import { XFake } from './fakes/x';
import { Api, apiClient } from './support/api';
import { expectError, expectOk, TypedClient, typedClient } from './support/client';
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
/** The typed client, generated from the served document: the main flows go through it. */
let client: TypedClient;
let clientB: TypedClient;

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
  client = typedClient(host.url, await issuer.token());
  clientB = typedClient(host.url, await issuer.token({ tid: TENANT_B }));
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

const CONFIGS = '/api/v1/connectors/configs';
const CONFIG = '/api/v1/connectors/configs/{id}';
const at = (id: string) => ({ params: { path: { id } } });

async function createFacebook(name = 'FB page') {
  const res = await client.POST(CONFIGS, {
    body: { name, connector_type: 'FACEBOOK', config: facebookConfig },
  });
  return { body: expectOk(res, 201), headers: res.response.headers };
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
    const got = expectOk(await client.GET(CONFIG, at(id)));
    expect(got.data.config).toEqual(res.body.data.config);
    const masked = expectOk(await client.GET('/api/v1/connectors/configs/{id}/config', at(id)));
    expect(masked.data).toEqual(res.body.data.config);
  });

  it('rejects bad input with 400 and details', async () => {
    const invalid = expectError(
      await client.POST(CONFIGS, {
        body: { name: 'x', connector_type: 'facebook', config: { app_id: 'abc', bogus: 1 } },
      }),
      400,
    );
    expect(invalid.details).toEqual(
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
    expect(expectError(await client.GET(CONFIG, at('not-a-uuid')), 404).code).toBe('not_found');
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
    const fb = expectOk(await client.GET(CONFIGS, { params: { query: { type: 'facebook' } } }));
    expect(fb.data.length).toBeGreaterThan(0);
    expect(fb.data.every((c) => c.connector_type === 'facebook')).toBe(true);
    const pending = expectOk(await client.GET(CONFIGS, { params: { query: { status: 'pending_setup' } } }));
    expect(pending.data.every((c) => c.status === 'pending_setup')).toBe(true);

    const seen: string[] = [];
    let token: string | null = null;
    do {
      const query: { limit: number; continuation_token?: string } = { limit: 1 };
      if (token) query.continuation_token = token;
      const page = expectOk(await client.GET(CONFIGS, { params: { query } }));
      expect(page.data.length).toBeLessThanOrEqual(1);
      seen.push(...page.data.map((c) => c.id));
      token = page.metadata.continuation_token;
    } while (token);
    const all = expectOk(await client.GET(CONFIGS, { params: { query: { limit: 100 } } }));
    expect(seen.sort()).toEqual(all.data.map((c) => c.id).sort());
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
    const res = expectOk(await clientB.GET(CONFIGS, { params: { query: { status: 'pending_setup' } } }));
    expect(res.data).toEqual([]);
  });
});

describe('patch', () => {
  it('merges fields, keeps a secret sent back masked, clears an optional secret with null', async () => {
    const { body } = await createFacebook('to patch');
    const id = body.data.id;
    const echoed = expectOk(
      await client.PATCH(CONFIG, {
        ...at(id),
        body: { name: 'renamed', config: { ...body.data.config, page_id: '777', access_token: null } },
      }),
    );
    expect(echoed.data.name).toBe('renamed');
    expect(echoed.data.config).toEqual({
      app_id: '1234567890',
      app_secret: 'meta********cdef',
      verify_token: '********',
      page_id: '777',
    });
    // The masked echo kept the real secret: verification with it still succeeds.
    const verified = expectOk(await client.POST('/api/v1/connectors/configs/{id}/verify', at(id)));
    expect(verified.data.status).toBe('active');
    expect(
      (await api('PATCH', `/v1/connectors/configs/${id}`, { body: { config: { app_secret: null } } })).status,
    ).toBe(400);
    expect((await api('PATCH', `/v1/connectors/configs/${id}`, { body: { status: 'error' } })).status).toBe(
      400,
    );
    expect((await api('PATCH', `/v1/connectors/configs/${id}`, { body: { owner: 'me' } })).status).toBe(400);
    const inactive = expectOk(await client.PATCH(CONFIG, { ...at(id), body: { status: 'inactive' } }));
    expect(inactive.data.status).toBe('inactive');
  });

  it('honours If-Match', async () => {
    const created = await createFacebook('etag');
    const id = created.body.data.id;
    const etag = created.headers.get('etag') as string;
    const ifMatch = { params: { path: { id }, header: { 'If-Match': etag } } };
    expectOk(await client.PATCH(CONFIG, { ...ifMatch, body: { name: 'one' } }));
    const stale = expectError(await client.PATCH(CONFIG, { ...ifMatch, body: { name: 'two' } }), 412);
    expect(stale.code).toBe('precondition_failed');
    expect(expectOk(await client.GET(CONFIG, at(id))).data.name).toBe('one');
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
      changes.map((config) => client.PATCH(CONFIG, { ...at(id), body: { config } })),
    );
    expect(results.map((r) => r.response.status)).toEqual([200, 200, 200, 200]);
    const final = expectOk(await client.GET(CONFIG, at(id))).data.config;
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
    expectError(await clientB.GET(CONFIG, at(id)), 404);
    expectError(await clientB.GET('/api/v1/connectors/configs/{id}/config', at(id)), 404);
    expectError(await clientB.PATCH(CONFIG, { ...at(id), body: { name: 'theirs' } }), 404);
    expectError(await clientB.POST('/api/v1/connectors/configs/{id}/verify', at(id)), 404);
    expectError(await clientB.DELETE(CONFIG, at(id)), 404);
    expect(expectOk(await clientB.GET(CONFIGS)).data).toEqual([]);
    expect(expectOk(await client.GET(CONFIG, at(id))).data.name).toBe('mine');
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
      const verify = '/api/v1/connectors/configs/{id}/verify';
      const good = expectOk(
        await client.POST(CONFIGS, { body: { name: `${type} good`, connector_type: type, config } }),
        201,
      );
      const ok = expectOk(await client.POST(verify, at(good.data.id)));
      expect(ok.data).toEqual(
        expect.objectContaining({ status: 'active', last_error: null, verified: true }),
      );
      expect(ok.data.last_verified_at).toEqual(expect.any(String));

      const bad = expectOk(
        await client.POST(CONFIGS, {
          body: { name: `${type} bad`, connector_type: type, config: { ...config, ...wrong } },
        }),
        201,
      );
      const failed = expectOk(await client.POST(verify, at(bad.data.id)));
      expect(failed.data.status).toBe('error');
      expect(failed.data.last_error).toMatch(/rejected/);
      expect(JSON.stringify(failed)).not.toContain(Object.values(wrong)[0]);
    },
  );
});

describe('delete', () => {
  it('removes the record and its secret, and a second delete is 404', async () => {
    const { body } = await createFacebook('bye');
    const id = body.data.id;
    expect(expectOk(await client.DELETE(CONFIG, at(id))).data).toEqual({ id, deleted: true });
    expectError(await client.GET(CONFIG, at(id)), 404);
    expectError(await client.DELETE(CONFIG, at(id)), 404);
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
