// Faults from outside the process: the local host SIGKILLed in the middle of concurrent writes (storage answers
// slowed by a TCP proxy, so writes are in flight when it dies), and Key Vault's answer to a secret write lost by
// the same proxy ending TLS in front of the Key Vault fake. After each: every acknowledged write reads back
// whole, no answer was a 500, nothing is half-made, and the sweep leaves no orphan.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { odata, TableClient } from '@azure/data-tables';
import { KeyVaultFake, startKeyVaultFake } from './fakes/keyvault';
import { apiClient, ApiResponse } from './support/api';
import { startTestAzurite, TestAzurite } from './support/azurite';
import { throughProxy } from './support/faultProxy';
import { startTestIssuer, TEST_AUDIENCE, TestIssuer } from './support/issuer';
import { RunningHost, startHost } from './support/localHost';
import { startTcpFaultProxy, TcpFaultProxy } from './support/tcpFaultProxy';

const KEY = Buffer.alloc(32, 11).toString('base64');
const WRITES = 24;

let issuer: TestIssuer;
let azurite: TestAzurite;
let proxy: TcpFaultProxy;
const hosts: RunningHost[] = [];

beforeAll(async () => {
  [issuer, azurite] = await Promise.all([startTestIssuer(), startTestAzurite()]);
  proxy = await startTcpFaultProxy(
    /TableEndpoint=(http:\/\/[^/;]+)/.exec(azurite.connectionString)?.[1] ?? '',
  );
});

afterAll(async () => {
  for (const h of hosts) await h.stop('SIGKILL');
  await proxy?.close();
  await Promise.all([azurite?.close(), issuer?.close()]);
});

async function host(env: Record<string, string>): Promise<RunningHost> {
  const h = await startHost({
    env: {
      AUTH_AUTHORITY: issuer.url,
      AUTH_AUDIENCE: TEST_AUDIENCE,
      LOCAL_SECRETS_KEY: KEY,
      CONNECTOR_TIKTOK_CLIENT_ID: 'ttcrash01',
      CONNECTOR_TIKTOK_CLIENT_SECRET: 'tt-crash-secret-0123456789',
      ...env,
    },
  });
  hosts.push(h);
  return h;
}

const table = (name: string) =>
  TableClient.fromConnectionString(azurite.connectionString, name, { allowInsecureConnection: true });

async function rowsOf(name: string, filter: string): Promise<Array<Record<string, unknown>>> {
  const out: Array<Record<string, unknown>> = [];
  for await (const row of table(name).listEntities<Record<string, unknown>>({ queryOptions: { filter } }))
    out.push(row);
  return out;
}

/** Secret rows of the tenant whose configuration or connection does not exist. */
async function orphans(tenantId: string): Promise<string[]> {
  const records = new Set<string>();
  for (const t of ['connectorconfigs', 'connections'])
    for (const r of await rowsOf(t, odata`PartitionKey eq ${tenantId}`)) records.add(String(r.rowKey));
  return (await rowsOf('secrets', odata`PartitionKey eq ${tenantId}`))
    .filter((s) => s.kind !== 'state' && !records.has(String(s.recordId)))
    .map((s) => String(s.rowKey));
}

it('SIGKILL in the middle of concurrent writes: acknowledged writes whole, no 500, no orphan after the sweep', async () => {
  const tenantId = randomUUID();
  const token = await issuer.token({ tid: tenantId });
  // Every storage answer is held back, so writes are in flight (landed or not) when the host dies.
  proxy.delayAnswers(150);
  const victim = await host({ TABLES_CONNECTION_STRING: throughProxy(azurite.connectionString, proxy.url) });
  const api = apiClient(victim.api, token);
  const secretOf = (i: number) => `crash-secret-${String(i).padStart(4, '0')}-abcdefgh`;
  const acknowledged: Array<{ kind: 'config' | 'connection'; i: number; res: ApiResponse }> = [];
  const failures: string[] = [];
  let killed: Promise<number | null> | undefined;
  const writes = Array.from({ length: WRITES }, (_, i) => {
    const kind = i % 3 === 2 ? ('connection' as const) : ('config' as const);
    const request =
      kind === 'config'
        ? api('POST', '/v1/connectors/configs', {
            body: {
              name: `crash ${i}`,
              connector_type: 'tiktok',
              config: { client_key: `ck${i}`, client_secret: secretOf(i) },
            },
          })
        : api('POST', '/v1/connectors/oauth', { body: { connector_type: 'tiktok', name: `crash ${i}` } });
    return request.then(
      (res) => {
        acknowledged.push({ kind, i, res });
        // The event: a quarter of the writes answered, the rest in flight.
        if (acknowledged.length >= WRITES / 4) killed ??= victim.stop('SIGKILL');
      },
      (err: unknown) => failures.push(err instanceof Error ? err.message : String(err)),
    );
  });
  await Promise.all(writes);
  await (killed ?? victim.stop('SIGKILL'));
  proxy.delayAnswers(0);
  expect(acknowledged.map((a) => a.res.status).filter((s) => s >= 500)).toEqual([]);
  expect(acknowledged.length).toBeGreaterThanOrEqual(WRITES / 4);
  expect(failures.length).toBeGreaterThan(0); // some writes really were cut off

  // A new instance on the same storage, whose sweep removes orphans at once.
  const after = await host({
    TABLES_CONNECTION_STRING: azurite.connectionString,
    SWEEP_INTERVAL_SECONDS: '1',
    ORPHAN_SECRET_MIN_AGE_SECONDS: '1',
  });
  const api2 = apiClient(after.api, token);
  for (const { kind, i, res } of acknowledged) {
    expect(res.status).toBe(201);
    if (kind === 'config') {
      const got = await api2('GET', `/v1/connectors/configs/${res.body.data.id}/config`);
      expect(got.status).toBe(200);
      expect(got.body.data).toEqual({ client_key: `ck${i}`, client_secret: `cras********efgh` });
    } else {
      const got = await api2('GET', `/v1/connectors/oauth/${res.body.data.id}`);
      expect(got.body.data).toEqual(expect.objectContaining({ status: 'pending', name: `crash ${i}` }));
    }
  }
  // Nothing half-made: every configuration that exists (acknowledged or not) reads whole.
  const listed = await api2('GET', '/v1/connectors/configs?limit=100');
  expect(listed.body.metadata.unreadable).toEqual([]);
  for (const c of listed.body.data) {
    const got = await api2('GET', `/v1/connectors/configs/${c.id}`);
    expect(got.status).toBe(200);
  }
  // Every pending connection that exists has its state: it can complete.
  const states = new Set(
    (await rowsOf('oauthstates', odata`tenantId eq ${tenantId}`)).map((s) => String(s.connectionId)),
  );
  for (const c of (await api2('GET', '/v1/connectors/oauth?limit=100')).body.data)
    expect(states).toContain(c.id);

  const until = Date.now() + 30000;
  while ((await orphans(tenantId)).length > 0 && Date.now() < until)
    await new Promise((r) => setTimeout(r, 250));
  expect(await orphans(tenantId)).toEqual([]);
}, 90000);

describe('Key Vault behind the proxy', () => {
  let kv: KeyVaultFake;
  let kvProxy: TcpFaultProxy;

  beforeAll(async () => {
    kv = await startKeyVaultFake();
    const cert = readFileSync(kv.caCertPath);
    kvProxy = await startTcpFaultProxy(kv.vaultUrl, {
      tls: { key: readFileSync(kv.tlsKeyPath), cert, ca: cert },
    });
  });

  afterAll(async () => {
    await kvProxy?.close();
    await kv?.close();
  });

  it("a lost answer to the vault's secret write: 201, and the record reads its secret back", async () => {
    const tenantId = randomUUID();
    const h = await host({
      TABLES_CONNECTION_STRING: azurite.connectionString,
      ...kv.env(),
      KEY_VAULT_URL: kvProxy.url,
    });
    const api = apiClient(h.api, await issuer.token({ tid: tenantId }));
    const before = kvProxy.dropped.length;
    kvProxy.dropAnswer('PUT', /^\/secrets\//);
    const created = await api('POST', '/v1/connectors/configs', {
      body: {
        name: 'kv lost answer',
        connector_type: 'tiktok',
        config: { client_key: 'ck', client_secret: 'kv-lost-answer-secret-9876' },
      },
    });
    // The SDK's first request is the challenge (no body reaches the vault's handler); the drop is the real write.
    expect(kvProxy.dropped.length - before).toBe(1);
    expect(created.status).toBe(201);
    const got = await api('GET', `/v1/connectors/configs/${created.body.data.id}/config`);
    expect(got.status).toBe(200);
    expect(got.body.data.client_secret).toBe('kv-l********9876');
    await h.stop();
  });
});
