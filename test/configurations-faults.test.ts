// Connector configurations when Table Storage fails, through real HTTP against the local host: a fault
// proxy in front of Azurite fails the record write of a create or an update (through all of the SDK's
// retries), or storage is down altogether; nothing half-made may remain. Then the local secret store's
// keys: a wrong key, a rotation, the ciphertext rows themselves and a ciphertext moved to another record.
// Last, a scan of what Azurite wrote to disk and of the host logs for every secret used here.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { odata, TableClient } from '@azure/data-tables';
import { EmbeddedAzurite, startAzurite } from '../host/azurite';
import { FakeSecretState, KeyVaultFake, STORAGE_RESOURCE, startKeyVaultFake } from './fakes/keyvault';
import { MetaFake } from './fakes/meta';
import { Api, apiClient } from './support/api';
import { FaultProxy, startFaultProxy, throughProxy } from './support/faultProxy';
import { startTestIssuer, TEST_AUDIENCE, TestIssuer } from './support/issuer';
import { RunningHost, startHost } from './support/localHost';
import { secretsInText, secretsOnDisk } from './support/scan';

const APP_SECRET = 'faults-app-secret-0123456789ab';
const ACCESS_TOKEN = 'faults-access-token-ABCDEFGHIJKL';
const WRONG_SECRET = 'faults-wrong-secret-ZYXWVUTSRQPO';
const RETRY_SECRET = 'faults-retry-secret-4444444444';
const LOCAL_SECRET_1 = 'local-app-secret-one-1111111111';
const LOCAL_TOKEN_1 = 'local-access-token-one-aaaaaaaa';
const LOCAL_SECRET_2 = 'local-app-secret-two-2222222222';
const LOCAL_ROTATED = 'local-app-secret-rotated-333333';
const KEY_1 = randomBytes(32).toString('base64');
const KEY_2 = randomBytes(32).toString('base64');
const SECRETS = [
  APP_SECRET,
  ACCESS_TOKEN,
  WRONG_SECRET,
  RETRY_SECRET,
  LOCAL_SECRET_1,
  LOCAL_TOKEN_1,
  LOCAL_SECRET_2,
  LOCAL_ROTATED,
];
/** Not secret: stored in a table, so the scan must find it (a positive control). */
const RECORD_NAME = 'faults-positive-control-record';
const REQUEST_MARKER = `faults-scan-marker-${randomUUID()}`;

/** The key id the local store derives from a key. */
const keyIdOf = (base64: string): string =>
  createHash('sha256').update(Buffer.from(base64, 'base64')).digest('hex').slice(0, 12);

let issuer: TestIssuer;
let kv: KeyVaultFake;
let meta: MetaFake;
let azurite: EmbeddedAzurite;
let azuriteDir: string;
let azuriteOpen = false;
let proxy: FaultProxy;
const hosts: RunningHost[] = [];

beforeAll(async () => {
  azuriteDir = mkdtempSync(join(tmpdir(), 'st-faults-azurite-'));
  [issuer, kv, meta, azurite] = await Promise.all([
    startTestIssuer(),
    startKeyVaultFake(),
    MetaFake.start(),
    startAzurite(azuriteDir),
  ]);
  azuriteOpen = true;
  meta.addApp({ clientId: '1234567890', clientSecret: APP_SECRET });
  proxy = await startFaultProxy(`http://127.0.0.1:${azurite.port}`);
});

afterAll(async () => {
  for (const h of hosts) await h.stop();
  await Promise.all([issuer?.close(), kv?.close(), meta?.close(), proxy?.close()]);
  if (azuriteOpen) await azurite.close();
  if (azuriteDir) rmSync(azuriteDir, { recursive: true, force: true });
});

async function host(env: Record<string, string>): Promise<RunningHost> {
  const h = await startHost({
    // Storage retries after 50-100, 100-200 and 200-400 ms: the same three retries without the SDK's seconds.
    env: { AUTH_AUTHORITY: issuer.url, AUTH_AUDIENCE: TEST_AUDIENCE, TABLES_RETRY_DELAY_MS: '50', ...env },
  });
  hosts.push(h);
  return h;
}

async function tenantApi(h: RunningHost, tenantId = randomUUID()): Promise<Api> {
  return apiClient(h.api, await issuer.token({ tid: tenantId }));
}

function secretsOfTenant(tenantId: string): FakeSecretState[] {
  return Object.values(kv.secrets()).filter((s) => s.versions.some((v) => v.tags?.tenant === tenantId));
}

function table(name: string): TableClient {
  return TableClient.fromConnectionString(azurite.connectionString, name, { allowInsecureConnection: true });
}

/** The record's secretVersion as stored in Table Storage, read past the service. */
async function storedSecretVersion(tenantId: string, id: string): Promise<string> {
  const entity = await table('connectorconfigs').getEntity<{ secretVersion: string }>(tenantId, id);
  return entity.secretVersion;
}

const facebook = (appSecret: string, accessToken: string) => ({
  app_id: '1234567890',
  app_secret: appSecret,
  access_token: accessToken,
  page_id: '555',
});

/** A Table Storage 503 for the next `times` requests that match: the first try and the SDK's three retries. */
function failTable(method: string, path: RegExp, times = 4): number {
  const before = proxy.failed.length;
  for (let i = 0; i < times; i++) proxy.failNext({ method, path, status: 503 });
  return before;
}

describe('Table Storage failing, with the Key Vault store', () => {
  let kvHost: RunningHost;

  beforeAll(async () => {
    kvHost = await host({
      TABLES_CONNECTION_STRING: throughProxy(azurite.connectionString, proxy.url),
      ...kv.env(),
      ...meta.env(),
    });
  });

  afterAll(async () => {
    await kvHost.stop();
  });

  it('create: the record insert fails → 503, and the secret written for it is removed again', async () => {
    const tenantId = randomUUID();
    const api = await tenantApi(kvHost, tenantId);
    const before = failTable('POST', /\/connectorconfigs$/);
    const res = await api('POST', '/v1/connectors/configs', {
      body: { name: 'lost', connector_type: 'facebook', config: facebook(APP_SECRET, ACCESS_TOKEN) },
    });
    expect(res.status).toBe(503);
    expect(res.body).toEqual(
      expect.objectContaining({
        code: 'dependency_unavailable',
        error: 'A dependency (storage or Key Vault) is unavailable; try again later.',
      }),
    );
    expect(proxy.failed.slice(before)).toHaveLength(4);
    expect((await api('GET', '/v1/connectors/configs')).body.data).toEqual([]);
    // The secret had been written first; it is deleted, not left behind.
    const secrets = secretsOfTenant(tenantId);
    expect(secrets).toHaveLength(1);
    expect(secrets[0].deleted).toBe(true);
  });

  it('update: the record replace fails → 503, and the record keeps its old, still readable secret', async () => {
    const tenantId = randomUUID();
    const api = await tenantApi(kvHost, tenantId);
    const created = await api('POST', '/v1/connectors/configs', {
      body: { name: 'kept', connector_type: 'facebook', config: facebook(APP_SECRET, ACCESS_TOKEN) },
    });
    expect(created.status).toBe(201);
    const id: string = created.body.data.id;
    const [secret] = secretsOfTenant(tenantId);
    const oldVersion = secret.latest;

    const before = failTable('PUT', /\/connectorconfigs\(/);
    const res = await api('PATCH', `/v1/connectors/configs/${id}`, {
      body: { name: 'changed', config: { app_secret: WRONG_SECRET } },
    });
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('dependency_unavailable');
    expect(proxy.failed.slice(before)).toHaveLength(4);

    const got = await api('GET', `/v1/connectors/configs/${id}`);
    expect(got.status).toBe(200);
    expect(got.body.data.name).toBe('kept');
    expect(got.body.data.config).toEqual(created.body.data.config);
    // The record still points at the old version, which the vault still holds and serves.
    expect(await storedSecretVersion(tenantId, id)).toBe(oldVersion);
    const versions = secretsOfTenant(tenantId)[0].versions;
    expect(versions).toHaveLength(2);
    expect(JSON.parse(versions[0].value)).toEqual({ app_secret: APP_SECRET, access_token: ACCESS_TOKEN });
    // And it is the old secret that is in use: Meta accepts it (it would reject WRONG_SECRET).
    const verified = await api('POST', `/v1/connectors/configs/${id}/verify`);
    expect(verified.status).toBe(200);
    expect(verified.body.data).toEqual(expect.objectContaining({ status: 'active', verified: true }));

    // Storage is back: a retry of the change goes through and the record moves to a new version.
    const retried = await api('PATCH', `/v1/connectors/configs/${id}`, {
      body: { config: { app_secret: RETRY_SECRET } },
    });
    expect(retried.status).toBe(200);
    expect(retried.body.data.config.app_secret).toBe('faul********4444');
    const latest = secretsOfTenant(tenantId)[0];
    expect(latest.versions).toHaveLength(3);
    expect(await storedSecretVersion(tenantId, id)).toBe(latest.latest);
  });

  it("storage refusing the service's identity (403) or throttling (429) answers 503, not 500", async () => {
    const api = await tenantApi(kvHost, randomUUID());
    for (const status of [403, 429]) {
      const before = proxy.failed.length;
      proxy.failNext({ method: 'GET', path: /\/connectorconfigs\(\)$/, status });
      const res = await api('GET', '/v1/connectors/configs');
      expect(proxy.failed.length - before).toBe(1);
      expect(res.status).toBe(503);
      expect(res.body.code).toBe('dependency_unavailable');
    }
  });

  it('storage down: 503 on create and list, /api/health degraded with 503, the secret kept for the sweep', async () => {
    // A port that was just free and is now closed: every storage request is refused.
    const closedPort = await new Promise<number>((resolve) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const downHost = await host({
      TABLES_CONNECTION_STRING: azurite.connectionString.replace(
        /TableEndpoint=http:\/\/[^/]+/,
        `TableEndpoint=http://127.0.0.1:${closedPort}`,
      ),
      ...kv.env(),
      // Key Vault must not count as down because a loaded machine was slow: storage fails on its own.
      HEALTH_CHECK_TIMEOUT_SECONDS: '60',
    });
    const tenantId = randomUUID();
    const api = await tenantApi(downHost, tenantId);
    const [created, listed, health] = await Promise.all([
      api('POST', '/v1/connectors/configs', {
        body: { name: 'nowhere', connector_type: 'facebook', config: facebook(APP_SECRET, ACCESS_TOKEN) },
      }),
      api('GET', '/v1/connectors/configs'),
      api('GET', '/health'),
    ]);
    await downHost.stop();
    for (const res of [created, listed]) {
      expect(res.status).toBe(503);
      expect(res.body.code).toBe('dependency_unavailable');
    }
    expect(health.status).toBe(503);
    expect(health.body.status).toBe('degraded');
    expect(health.body.dependencies.storage.status).toBe('unavailable');
    expect(health.body.dependencies.secrets).toEqual({ status: 'ok', kind: 'key-vault' });
    // The create wrote its secret before it found storage down. Whether its record landed, storage could not
    // say, so the secret stays: the sweep removes it once it is old enough and still has no record.
    const left = secretsOfTenant(tenantId);
    expect(left).toHaveLength(1);
    expect(left[0].deleted).toBe(false);
  }, 90000);
});

describe('Table Storage by managed identity, the identity endpoint refusing', () => {
  it('answers 503, not 500', async () => {
    // Storage in Azure is reached with a managed identity token; here the identity endpoint refuses the
    // request (wrong X-IDENTITY-HEADER), so the credential fails before any storage request is made.
    const miHost = await host({
      TABLES_ENDPOINT: 'https://127.0.0.1:9/devstoreaccount1',
      IDENTITY_ENDPOINT: kv.identityEndpoint,
      IDENTITY_HEADER: 'not-the-identity-header',
      LOCAL_SECRETS_KEY: KEY_1,
    });
    const api = await tenantApi(miHost);
    const listed = await api('GET', '/v1/connectors/configs');
    const created = await api('POST', '/v1/connectors/configs', {
      body: { name: 'no identity', connector_type: 'facebook', config: facebook(APP_SECRET, ACCESS_TOKEN) },
    });
    await miHost.stop();
    expect(kv.stats.identityRequests).toContainEqual({ resource: STORAGE_RESOURCE, status: 401 });
    expect(listed.status).toBe(503);
    expect(listed.body.code).toBe('dependency_unavailable');
    expect(created.status).toBe(503);
    expect(created.body.code).toBe('secret_store_unavailable');
  });
});

describe('the local secret store and its keys', () => {
  const tenantId = randomUUID();
  let first: string;
  let second: string;
  let masked1: Record<string, string>;

  interface SecretRow {
    partitionKey: string;
    rowKey: string;
    keyId: string;
    iv: string;
    tag: string;
    ciphertext: string;
  }

  async function rows(): Promise<SecretRow[]> {
    const out: SecretRow[] = [];
    const filter = odata`PartitionKey eq ${tenantId}`;
    for await (const e of table('secrets').listEntities<SecretRow>({ queryOptions: { filter } })) out.push(e);
    return out;
  }

  const rowOf = (all: SecretRow[], id: string): SecretRow => {
    const matches = all.filter((r) => r.rowKey.includes(id));
    expect(matches).toHaveLength(1);
    return matches[0];
  };

  it('writes rows with a key id, a 12-byte IV and no plaintext', async () => {
    const h = await host({ TABLES_CONNECTION_STRING: azurite.connectionString, LOCAL_SECRETS_KEY: KEY_1 });
    const api = await tenantApi(h, tenantId);
    const one = await api('POST', '/v1/connectors/configs', {
      body: {
        name: RECORD_NAME,
        connector_type: 'facebook',
        config: facebook(LOCAL_SECRET_1, LOCAL_TOKEN_1),
      },
      headers: { 'x-ms-client-request-id': REQUEST_MARKER },
    });
    const two = await api('POST', '/v1/connectors/configs', {
      body: { name: 'two', connector_type: 'meta', config: { app_id: '42', app_secret: LOCAL_SECRET_2 } },
    });
    expect([one.status, two.status]).toEqual([201, 201]);
    first = one.body.data.id;
    second = two.body.data.id;
    masked1 = one.body.data.config;
    await h.stop();

    const all = await rows();
    expect(all).toHaveLength(2);
    for (const row of all) {
      expect(row.keyId).toBe(keyIdOf(KEY_1));
      expect(Buffer.from(row.iv, 'base64')).toHaveLength(12);
      expect(Buffer.from(row.tag, 'base64')).toHaveLength(16);
      const raw = JSON.stringify(row) + Buffer.from(row.ciphertext, 'base64').toString('latin1');
      expect(secretsInText(raw, SECRETS)).toEqual([]);
    }
    expect(all[0].iv).not.toBe(all[1].iv);
    expect(rowOf(all, first).rowKey).toMatch(/^[0-9a-zA-Z-]{1,127}@[0-9a-f]{32}$/);
  });

  it('answers 503 naming the key problem when the key is wrong, never garbage', async () => {
    const h = await host({ TABLES_CONNECTION_STRING: azurite.connectionString, LOCAL_SECRETS_KEY: KEY_2 });
    const api = await tenantApi(h, tenantId);
    const res = await api('GET', `/v1/connectors/configs/${first}`);
    const list = await api('GET', '/v1/connectors/configs');
    const patch = await api('PATCH', `/v1/connectors/configs/${first}`, {
      body: { config: { app_secret: LOCAL_ROTATED } },
    });
    const health = await api('GET', '/health');
    const healthBody = health.body as {
      dependencies: { secrets: { status: string; error?: string } };
    };
    await h.stop();
    // Health tells the operator too: the canary written with the first key does not decrypt.
    expect(health.status).toBe(503);
    expect(healthBody.dependencies.secrets.status).toBe('unavailable');
    expect(healthBody.dependencies.secrets.error).toContain(`key id ${keyIdOf(KEY_1)}`);
    // A list reads no secret, so it answers; the routes that need the secret say why they cannot.
    expect(list.status).toBe(200);
    expect(list.body.data.map((c: { id: string }) => c.id).sort()).toEqual([first, second].sort());
    for (const r of [res, patch]) {
      expect(r.status).toBe(503);
      expect(r.body.code).toBe('secret_store_unavailable');
      expect(r.body.error).toContain(`key id ${keyIdOf(KEY_1)}`);
      expect(r.body.error).toContain('LOCAL_SECRETS_KEY');
    }
    // The failed PATCH changed nothing: still one row per record, under the old key.
    expect((await rows()).map((r) => r.keyId)).toEqual([keyIdOf(KEY_1), keyIdOf(KEY_1)]);
  });

  it('reads again with the old key in LOCAL_SECRETS_PREVIOUS_KEYS, and a change re-encrypts with the new key', async () => {
    // Meanwhile someone copies the first record's ciphertext onto the second record's row.
    const before = await rows();
    const source = rowOf(before, first);
    const target = rowOf(before, second);
    await table('secrets').updateEntity(
      {
        partitionKey: target.partitionKey,
        rowKey: target.rowKey,
        keyId: source.keyId,
        iv: source.iv,
        tag: source.tag,
        ciphertext: source.ciphertext,
      },
      'Replace',
    );

    const h = await host({
      TABLES_CONNECTION_STRING: azurite.connectionString,
      LOCAL_SECRETS_KEY: KEY_2,
      LOCAL_SECRETS_PREVIOUS_KEYS: KEY_1,
    });
    const api = await tenantApi(h, tenantId);
    const got = await api('GET', `/v1/connectors/configs/${first}`);
    expect(got.status).toBe(200);
    expect(got.body.data.config).toEqual(masked1);

    // The moved ciphertext is under a known key, but bound to the other record: it fails loudly.
    const moved = await api('GET', `/v1/connectors/configs/${second}`);
    expect(moved.status).toBe(503);
    expect(moved.body.code).toBe('secret_store_unavailable');
    // Its key is configured, so the message must not send the operator after a key.
    expect(moved.body.error).toContain('altered or does not belong to this record');
    expect(moved.body.error).not.toContain('LOCAL_SECRETS_KEY');
    expect(JSON.stringify(moved.body)).not.toContain(LOCAL_SECRET_1.slice(-4));

    const rotated = await api('PATCH', `/v1/connectors/configs/${first}`, {
      body: { config: { app_secret: LOCAL_ROTATED } },
    });
    expect(rotated.status).toBe(200);
    expect(rotated.body.data.config).toEqual({ ...masked1, app_secret: 'loca********3333' });
    await h.stop();
    // The old version's row is pruned; the new one is under the new key.
    const after = rowOf(await rows(), first);
    expect(after.keyId).toBe(keyIdOf(KEY_2));
    expect(after.rowKey).not.toBe(source.rowKey);

    // With the new key alone, the re-encrypted record reads.
    const only2 = await host({
      TABLES_CONNECTION_STRING: azurite.connectionString,
      LOCAL_SECRETS_KEY: KEY_2,
    });
    const again = await (await tenantApi(only2, tenantId))('GET', `/v1/connectors/configs/${first}`);
    await only2.stop();
    expect(again.status).toBe(200);
    expect(again.body.data.config.app_secret).toBe('loca********3333');
  });
});

describe('no secret in plaintext anywhere', () => {
  it('is absent from what Azurite wrote to disk and from every host log', async () => {
    for (const h of hosts) await h.stop();
    // Closing Azurite flushes its database to disk.
    azuriteOpen = false;
    await azurite.close();
    expect(secretsOnDisk(azuriteDir, [RECORD_NAME])).toEqual([RECORD_NAME]);
    expect(secretsOnDisk(azuriteDir, [...SECRETS, KEY_1, KEY_2])).toEqual([]);
    const logs = hosts.map((h) => h.output()).join('\n');
    expect(secretsInText(logs, [REQUEST_MARKER])).toEqual([REQUEST_MARKER]);
    expect(secretsInText(logs, [...SECRETS, KEY_1, KEY_2])).toEqual([]);
  });
});
