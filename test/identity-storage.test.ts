// Identity-based storage: with TABLES_ENDPOINT set (and no connection string) the app reaches Table Storage
// with DefaultAzureCredential. Azurite serves tables over HTTPS (the Azure SDKs refuse to send a bearer
// token over plain http) with the Key Vault fake's certificate and checks the bearer token (`--oauth basic`:
// issuer, audience and lifetime); the token comes from the fake's App Service managed identity endpoint on
// loopback. A request that reached Azurite without a token would be refused, so a record written and read
// back through the API proves the managed-identity path end to end.
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { STORAGE_RESOURCE, KeyVaultFake, startKeyVaultFake } from './fakes/keyvault';
import { EmbeddedAzurite, startAzurite } from '../host/azurite';
import { apiClient } from './support/api';
import { startTestIssuer, TEST_AUDIENCE, TestIssuer } from './support/issuer';
import { RunningHost, startHost } from './support/localHost';

/** Status of a GET on Azurite's table list, trusting the fake's certificate; with `token` as bearer if given. */
function azuriteStatus(url: string, ca: Buffer, token?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/Tables`,
      {
        ca,
        headers: {
          accept: 'application/json;odata=nometadata',
          'x-ms-version': '2019-02-02',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

let issuer: TestIssuer;
let kv: KeyVaultFake;
let azurite: EmbeddedAzurite;
let host: RunningHost;
let endpoint: string;

beforeAll(async () => {
  [issuer, kv] = await Promise.all([startTestIssuer(), startKeyVaultFake()]);
  azurite = await startAzurite(undefined, { https: { certPath: kv.caCertPath, keyPath: kv.tlsKeyPath } });
  endpoint = `https://127.0.0.1:${azurite.port}/devstoreaccount1`;
  // The managed identity and the CA, but not KEY_VAULT_URL: secrets stay in the local store, in tables.
  const { IDENTITY_ENDPOINT, IDENTITY_HEADER, NODE_EXTRA_CA_CERTS } = kv.env();
  host = await startHost({
    env: {
      AUTH_AUTHORITY: issuer.url,
      AUTH_AUDIENCE: TEST_AUDIENCE,
      TABLES_ENDPOINT: endpoint,
      IDENTITY_ENDPOINT,
      IDENTITY_HEADER,
      NODE_EXTRA_CA_CERTS,
    },
  });
});

afterAll(async () => {
  await host?.stop();
  await azurite?.close();
  await Promise.all([issuer?.close(), kv?.close()]);
});

describe('identity-based Table Storage (TABLES_ENDPOINT + DefaultAzureCredential)', () => {
  it('starts on the endpoint with managed identity, not a connection string', () => {
    expect(host.output()).toContain(`storage: Table Storage at ${endpoint} (managed identity)`);
  });

  it('has an Azurite that refuses requests without a valid storage token (the control)', async () => {
    const ca = readFileSync(kv.caCertPath);
    expect(await azuriteStatus(endpoint, ca)).toBe(403);
    // A well-formed token for another audience (the API's own) is refused too.
    expect(await azuriteStatus(endpoint, ca, await issuer.token())).toBe(403);
  });

  it('creates and reads back a configuration through the API', async () => {
    const api = apiClient(host.api, await issuer.token());
    const created = await api('POST', '/v1/connectors/configs', {
      body: {
        name: 'identity storage',
        connector_type: 'meta',
        config: { app_id: '1234567890', app_secret: 'identity-app-secret-0123456789' },
      },
    });
    expect(created.status).toBe(201);
    const id: string = created.body.data.id;

    const read = await api('GET', `/v1/connectors/configs/${id}`);
    expect(read.status).toBe(200);
    expect(read.body.data).toMatchObject({ id, name: 'identity storage', connector_type: 'meta' });
    const masked = await api('GET', `/v1/connectors/configs/${id}/config`);
    expect(masked.status).toBe(200);
    // The masked value is worked out from the secret read back from the local store, itself in tables.
    expect(masked.body.data).toEqual({ app_id: '1234567890', app_secret: 'iden********6789' });
    const listed = await api('GET', '/v1/connectors/configs');
    expect(listed.body.data.map((c: { id: string }) => c.id)).toContain(id);
  });

  it('asked the managed identity endpoint for a storage token (and for nothing else)', () => {
    expect(kv.stats.tokenRequests[STORAGE_RESOURCE]).toBeGreaterThanOrEqual(1);
    expect(Object.keys(kv.stats.tokenRequests)).toEqual([STORAGE_RESOURCE]);
    // MSAL caches the token: one request for the whole run, not one per table or per call.
    expect(kv.stats.tokenRequests[STORAGE_RESOURCE]).toBe(1);
    expect(kv.stats.requests).toHaveLength(0); // the vault itself was never used
  });

  it('reports storage as managed identity on /health to a caller with a token', async () => {
    const res = await fetch(`${host.api}/health`, {
      headers: { authorization: `Bearer ${await issuer.token()}` },
    });
    const body = (await res.json()) as {
      status: string;
      dependencies: { storage: Record<string, unknown>; secrets: Record<string, unknown> };
    };
    expect(res.status).toBe(200);
    expect(body.dependencies.storage).toEqual({ status: 'ok', kind: 'managed-identity', endpoint });
    expect(body.dependencies.secrets).toMatchObject({ status: 'ok' });
  });

  it('never logs the storage token', () => {
    expect(host.output()).not.toMatch(/eyJ[\w-]{10,}\.[\w-]{10,}\./);
  });
});
