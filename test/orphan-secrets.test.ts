// A double failure: the record insert fails and so does the removal of the secret written before it. A retry
// would create a new id and never clean that secret up; the sweep does, once it is old enough.
import { randomUUID } from 'node:crypto';
import { odata, TableClient } from '@azure/data-tables';
import { Api, apiClient } from './support/api';
import { startTestAzurite, TestAzurite } from './support/azurite';
import { FaultProxy, startFaultProxy, throughProxy } from './support/faultProxy';
import { startTestIssuer, TEST_AUDIENCE, TestIssuer } from './support/issuer';
import { RunningHost, startHost } from './support/localHost';

let issuer: TestIssuer;
let azurite: TestAzurite;
let proxy: FaultProxy;
let host: RunningHost;
let api: Api;
const tenantId = randomUUID();

beforeAll(async () => {
  issuer = await startTestIssuer();
  azurite = await startTestAzurite();
  proxy = await startFaultProxy(/TableEndpoint=(http:\/\/[^/;]+)/.exec(azurite.connectionString)?.[1] ?? '');
  host = await startHost({
    env: {
      AUTH_AUTHORITY: issuer.url,
      AUTH_AUDIENCE: TEST_AUDIENCE,
      TABLES_CONNECTION_STRING: throughProxy(azurite.connectionString, proxy.url),
      LOCAL_SECRETS_KEY: Buffer.alloc(32, 9).toString('base64'),
      SWEEP_INTERVAL_SECONDS: '1',
      // Storage retries after 50-100, 100-200 and 200-400 ms instead of the SDK's seconds.
      TABLES_RETRY_DELAY_MS: '50',
      // Well past the SDK's retries of the failing writes (under 2 s), so the orphan is seen first.
      ORPHAN_SECRET_MIN_AGE_SECONDS: '6',
    },
  });
  api = apiClient(host.api, await issuer.token({ tid: tenantId }));
});

afterAll(async () => {
  await host?.stop();
  await proxy?.close();
  await azurite?.close();
  await issuer?.close();
});

async function secretRows(): Promise<Array<{ recordId?: string }>> {
  const table = TableClient.fromConnectionString(azurite.connectionString, 'secrets', {
    allowInsecureConnection: true,
  });
  const rows: Array<{ recordId?: string }> = [];
  for await (const row of table.listEntities<{ recordId?: string }>({
    queryOptions: { filter: odata`PartitionKey eq ${tenantId}` },
  })) {
    rows.push(row);
  }
  return rows;
}

const sweepsWithSecretsPurged = () =>
  host
    .output()
    .split('\n')
    .filter((l) => l.includes('"event":"sweep"'))
    .map((l) => JSON.parse(l) as { purged: { secrets: number } })
    .filter((s) => s.purged.secrets > 0).length;

it('removes a secret whose record never landed, and keeps those that have a record', async () => {
  const kept = await api('POST', '/v1/connectors/configs', {
    body: {
      name: 'kept',
      connector_type: 'tiktok',
      config: { client_key: 'abc', client_secret: 'kept-secret-value' },
    },
  });
  expect(kept.status).toBe(201);
  // Every retry of the SDK fails too: the record insert, then the compensating secret removal.
  for (let i = 0; i < 4; i++) proxy.failNext({ method: 'POST', path: /\/connectorconfigs$/, status: 503 });
  for (let i = 0; i < 4; i++) proxy.failNext({ method: 'DELETE', path: /\/secrets\(/, status: 503 });
  const lost = await api('POST', '/v1/connectors/configs', {
    body: {
      name: 'lost',
      connector_type: 'tiktok',
      config: { client_key: 'abc', client_secret: 'orphan-secret' },
    },
  });
  expect(lost.status).toBe(503);
  expect((await api('GET', '/v1/connectors/configs')).body.data.map((c: { name: string }) => c.name)).toEqual(
    ['kept'],
  );
  expect(await secretRows()).toHaveLength(2);

  const until = Date.now() + 30000;
  while (sweepsWithSecretsPurged() === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
  expect(sweepsWithSecretsPurged()).toBeGreaterThan(0);
  const left = await secretRows();
  expect(left).toHaveLength(1);
  expect(left[0].recordId).toBe(kept.body.data.id);
  expect(
    (await api('GET', `/v1/connectors/configs/${kept.body.data.id}/config`)).body.data.client_secret,
  ).toBe('kept********alue');
});
