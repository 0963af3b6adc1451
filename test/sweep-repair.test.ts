// The sweep's repair (services/repair.ts), through a real local host whose timer runs every second: a secret
// version no record names (a PATCH cut between its secret write and its record write) is removed, a pending
// connection whose authorization can no longer complete turns `error` with `authorization_abandoned`, a record
// whose secret is missing is reported in /health and the sweep's line. Then storage goes away: the sweep says
// so at warning level, never as an error.
import { randomUUID } from 'node:crypto';
import { odata, TableClient } from '@azure/data-tables';
import { Api, apiClient, ApiResponse } from './support/api';
import { startTestAzurite, TestAzurite } from './support/azurite';
import { FaultProxy, startFaultProxy, throughProxy } from './support/faultProxy';
import { startTestIssuer, TEST_AUDIENCE, TestIssuer } from './support/issuer';
import { RunningHost, startHost } from './support/localHost';

let issuer: TestIssuer;
let azurite: TestAzurite;
let azuriteOpen = false;
let proxy: FaultProxy;
let host: RunningHost;
let api: Api;
let abandoned: ApiResponse;
const tenantId = randomUUID();

interface Repair {
  strayVersions: number;
  staleVerifiers: number;
  abandoned: number;
  secretMissing: number;
}

beforeAll(async () => {
  issuer = await startTestIssuer();
  azurite = await startTestAzurite();
  azuriteOpen = true;
  proxy = await startFaultProxy(/TableEndpoint=(http:\/\/[^/;]+)/.exec(azurite.connectionString)?.[1] ?? '');
  host = await startHost({
    env: {
      AUTH_AUTHORITY: issuer.url,
      AUTH_AUDIENCE: TEST_AUDIENCE,
      TABLES_CONNECTION_STRING: throughProxy(azurite.connectionString, proxy.url),
      LOCAL_SECRETS_KEY: Buffer.alloc(32, 5).toString('base64'),
      SWEEP_INTERVAL_SECONDS: '1',
      // Storage retries after 50-100, 100-200 and 200-400 ms instead of the SDK's seconds.
      TABLES_RETRY_DELAY_MS: '50',
      // Well past the failing record write's retries below (under a second); the repair runs every 1.5 s.
      ORPHAN_SECRET_MIN_AGE_SECONDS: '6',
      OAUTH_STATE_TTL_SECONDS: '2',
      CONNECTOR_TIKTOK_CLIENT_ID: 'ttrepair01',
      CONNECTOR_TIKTOK_CLIENT_SECRET: 'tt-repair-secret-0123456789',
    },
  });
  api = apiClient(host.api, await issuer.token({ tid: tenantId }));
  // Started now, so its authorization runs out (twice the state's 2 s) while the first test waits for its repair.
  abandoned = await api('POST', '/v1/connectors/oauth', { body: { connector_type: 'tiktok' } });
});

afterAll(async () => {
  await host?.stop();
  await proxy?.close();
  if (azuriteOpen) await azurite.close();
  await issuer?.close();
});

const lines = () =>
  host
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

const repairs = (): Repair[] =>
  lines()
    .filter((l) => l.event === 'sweep' && l.repair)
    .map((l) => l.repair as Repair);

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30000) {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function secretRows(recordId: string): Promise<string[]> {
  const table = TableClient.fromConnectionString(azurite.connectionString, 'secrets', {
    allowInsecureConnection: true,
  });
  const rows: string[] = [];
  const filter = odata`PartitionKey eq ${tenantId} and recordId eq ${recordId}`;
  for await (const row of table.listEntities({ queryOptions: { filter } })) rows.push(String(row.rowKey));
  return rows;
}

const config = (secret: string) => ({
  name: 'repair',
  connector_type: 'tiktok',
  config: { client_key: 'ttrepair01', client_secret: secret },
});

it('removes a secret version no record names, and keeps the one the record names', async () => {
  const created = await api('POST', '/v1/connectors/configs', { body: config('repair-secret-one-11111') });
  expect(created.status).toBe(201);
  const id: string = created.body.data.id;
  // The PATCH writes its new secret version, then its record write fails through every retry.
  for (let i = 0; i < 4; i++) proxy.failNext({ method: 'PUT', path: /\/connectorconfigs\(/, status: 503 });
  const patched = await api('PATCH', `/v1/connectors/configs/${id}`, {
    body: { config: { client_secret: 'repair-secret-two-22222' } },
  });
  expect(patched.status).toBe(503);
  expect(await secretRows(id)).toHaveLength(2);
  const seen = repairs().length;
  await waitFor('a repair removing the stray version', () =>
    repairs()
      .slice(seen)
      .some((r) => r.strayVersions >= 1),
  );
  expect(await secretRows(id)).toHaveLength(1);
  const got = await api('GET', `/v1/connectors/configs/${id}`);
  expect(got.status).toBe(200);
  expect(got.body.data.config.client_secret).toBe('repa********1111');
}, 60000);

it('marks a pending connection whose authorization can no longer complete as error, authorization_abandoned', async () => {
  expect(abandoned.status).toBe(201);
  expect(abandoned.body.data.status).toBe('pending');
  const id: string = abandoned.body.data.id;
  await waitFor('the connection to be marked abandoned', async () => {
    const got = await api('GET', `/v1/connectors/oauth/${id}`);
    return got.body.data.status === 'error';
  });
  const got = await api('GET', `/v1/connectors/oauth/${id}`);
  expect(got.body.data.last_error).toMatch(/authorization_abandoned/);
  expect(repairs().some((r) => r.abandoned >= 1)).toBe(true);
});

it('reports a record whose secret is missing in /health and the sweep line', async () => {
  const created = await api('POST', '/v1/connectors/configs', { body: config('repair-secret-lost-3333') });
  const id: string = created.body.data.id;
  const table = TableClient.fromConnectionString(azurite.connectionString, 'secrets', {
    allowInsecureConnection: true,
  });
  for (const rowKey of await secretRows(id)) await table.deleteEntity(tenantId, rowKey);
  const seen = repairs().length;
  await waitFor('a repair reporting the missing secret', () =>
    repairs()
      .slice(seen)
      .some((r) => r.secretMissing >= 1),
  );
  const health = await api('GET', '/health', { token: null });
  expect(health.body.repair).toEqual(expect.objectContaining({ secret_missing: 1 }));
  // The list still answers, with the record in it.
  const listed = await api('GET', '/v1/connectors/configs');
  expect(listed.status).toBe(200);
  expect(listed.body.data.map((c: { id: string }) => c.id)).toContain(id);
});

it('storage gone: the sweep warns, without an error or a stack', async () => {
  azuriteOpen = false;
  await azurite.close();
  const from = lines().length;
  await waitFor(
    'a warning from the sweep',
    () =>
      lines()
        .slice(from)
        .some((l) => l.level === 'warning' && /^sweep: .*(failed|stopped|skipped)/.test(String(l.message))),
    40000,
  );
  const sweepLines = lines()
    .slice(from)
    .filter((l) => l.function === 'connections-sweep');
  expect(sweepLines.filter((l) => l.level === 'error')).toEqual([]);
  expect(JSON.stringify(sweepLines)).not.toMatch(/\n\s+at /);
}, 60000);
