// Storage's answer to a write lost on the way back (a network blip, a gateway timeout): a TCP proxy between the
// local host and Azurite forwards the write, lets Azurite store it, and resets the connection before a byte of
// the answer arrives. The SDK retries and finds its own write there (409). Every create must answer as if the
// answer had arrived, leave one whole record, and a list must answer even when one record cannot be read.
import { randomUUID } from 'node:crypto';
import { odata, TableClient } from '@azure/data-tables';
import { TikTokFake } from './fakes';
import { Api, apiClient } from './support/api';
import { startTestAzurite, TestAzurite } from './support/azurite';
import { throughProxy } from './support/faultProxy';
import { startTestIssuer, TEST_AUDIENCE, TestIssuer } from './support/issuer';
import { RunningHost, startHost } from './support/localHost';
import { followAuthorization } from './support/oauthFlow';
import { startTcpFaultProxy, TcpFaultProxy } from './support/tcpFaultProxy';

const APP = { clientId: 'ttlost0001', clientSecret: 'tt-lost-answer-secret-0123456789' };

let issuer: TestIssuer;
let azurite: TestAzurite;
let tiktok: TikTokFake;
let proxy: TcpFaultProxy;
let host: RunningHost;

beforeAll(async () => {
  [issuer, azurite, tiktok] = await Promise.all([startTestIssuer(), startTestAzurite(), TikTokFake.start()]);
  tiktok.addApp(APP);
  proxy = await startTcpFaultProxy(
    /TableEndpoint=(http:\/\/[^/;]+)/.exec(azurite.connectionString)?.[1] ?? '',
  );
  host = await startHost({
    env: {
      AUTH_AUTHORITY: issuer.url,
      AUTH_AUDIENCE: TEST_AUDIENCE,
      TABLES_CONNECTION_STRING: throughProxy(azurite.connectionString, proxy.url),
      LOCAL_SECRETS_KEY: Buffer.alloc(32, 7).toString('base64'),
      // Storage retries after 50-100, 100-200 and 200-400 ms: the same retries without the SDK's seconds.
      TABLES_RETRY_DELAY_MS: '50',
      ...tiktok.env(),
    },
  });
});

afterAll(async () => {
  await host?.stop();
  await proxy?.close();
  await Promise.all([azurite?.close(), issuer?.close(), tiktok?.close()]);
});

const table = (name: string) =>
  TableClient.fromConnectionString(azurite.connectionString, name, { allowInsecureConnection: true });

async function rows(name: string, filter: string): Promise<Array<Record<string, unknown>>> {
  const out: Array<Record<string, unknown>> = [];
  for await (const row of table(name).listEntities<Record<string, unknown>>({ queryOptions: { filter } }))
    out.push(row);
  return out;
}

async function tenant(): Promise<{ api: Api; tenantId: string }> {
  const tenantId = randomUUID();
  return { api: apiClient(host.api, await issuer.token({ tid: tenantId })), tenantId };
}

const tiktokConfig = (secret: string) => ({
  name: 'tiktok app',
  connector_type: 'tiktok',
  config: { client_key: APP.clientId, client_secret: secret },
});

function droppedSince(before: number, method: string, path: RegExp) {
  return proxy.dropped.slice(before).filter((r) => r.method === method && path.test(r.path));
}

it('a configuration whose insert answer is lost answers 201 and reads back whole', async () => {
  const { api, tenantId } = await tenant();
  const before = proxy.dropped.length;
  proxy.dropAnswer('POST', /\/connectorconfigs$/);
  const created = await api('POST', '/v1/connectors/configs', { body: tiktokConfig(APP.clientSecret) });
  expect(droppedSince(before, 'POST', /\/connectorconfigs$/)).toHaveLength(1);
  expect(created.status).toBe(201);
  const id: string = created.body.data.id;
  const got = await api('GET', `/v1/connectors/configs/${id}/config`);
  expect(got.status).toBe(200);
  expect(got.body.data).toEqual({ client_key: APP.clientId, client_secret: 'tt-l********6789' });
  const listed = await api('GET', '/v1/connectors/configs');
  expect(listed.status).toBe(200);
  expect(listed.body.data.map((c: { id: string }) => c.id)).toEqual([id]);
  // One secret row, the one the record names.
  const secrets = await rows('secrets', odata`PartitionKey eq ${tenantId}`);
  expect(secrets.map((s) => s.recordId)).toEqual([id]);
});

it("a lost answer to the local secret store's write answers 201 too", async () => {
  const { api } = await tenant();
  const before = proxy.dropped.length;
  proxy.dropAnswer('POST', /\/secrets$/);
  const created = await api('POST', '/v1/connectors/configs', { body: tiktokConfig(APP.clientSecret) });
  expect(droppedSince(before, 'POST', /\/secrets$/)).toHaveLength(1);
  expect(created.status).toBe(201);
  const got = await api('GET', `/v1/connectors/configs/${created.body.data.id}`);
  expect(got.body.data.config.client_secret).toBe('tt-l********6789');
});

it('a connection whose insert answers are lost is created once, with its state, and completes', async () => {
  const { api, tenantId } = await tenant();
  const cfg = await api('POST', '/v1/connectors/configs', { body: tiktokConfig(APP.clientSecret) });
  const before = proxy.dropped.length;
  proxy.dropAnswer('POST', /\/connections$/);
  proxy.dropAnswer('POST', /\/oauthstates$/);
  const created = await api('POST', '/v1/connectors/oauth', {
    body: { connector_type: 'tiktok', config_id: cfg.body.data.id },
  });
  expect(droppedSince(before, 'POST', /\/(connections|oauthstates)$/)).toHaveLength(2);
  expect(created.status).toBe(201);
  const id: string = created.body.data.id;
  expect(created.body.data.status).toBe('pending');
  const listed = await api('GET', '/v1/connectors/oauth');
  expect(listed.body.data.map((c: { id: string }) => c.id)).toEqual([id]);
  const states = await rows('oauthstates', odata`tenantId eq ${tenantId}`);
  expect(states.map((s) => s.connectionId)).toEqual([id]);

  const flow = await followAuthorization(created.body.data.authorization_url);
  expect(flow.callbackStatus).toBe(200);
  const got = await api('GET', `/v1/connectors/oauth/${id}`);
  expect(got.body.data).toEqual(expect.objectContaining({ status: 'active', last_error: null }));
});

it('an insert whose fate storage will not tell answers 503, and keeps the secret the record may name', async () => {
  const { api, tenantId } = await tenant();
  const before = proxy.dropped.length;
  // The insert's answer is lost, then so is every answer to the read that would tell whether it landed.
  proxy.dropAnswer('POST', /\/connectorconfigs$/);
  proxy.dropAnswer('GET', /\/connectorconfigs\(/, 4);
  const created = await api('POST', '/v1/connectors/configs', { body: tiktokConfig(APP.clientSecret) });
  expect(droppedSince(before, 'GET', /\/connectorconfigs\(/)).toHaveLength(4);
  expect(created.status).toBe(503);
  expect(created.body).toEqual(
    expect.objectContaining({ code: 'dependency_unavailable', error: expect.any(String) }),
  );
  // It had landed: the record is whole, its secret was kept.
  const listed = await api('GET', '/v1/connectors/configs');
  expect(listed.body.data).toHaveLength(1);
  const got = await api('GET', `/v1/connectors/configs/${listed.body.data[0].id}`);
  expect(got.status).toBe(200);
  expect(got.body.data.config.client_secret).toBe('tt-l********6789');
  expect(await rows('secrets', odata`PartitionKey eq ${tenantId}`)).toHaveLength(1);
});

it('a list answers when a record cannot be read, and names it; lists read no secret', async () => {
  const { api, tenantId } = await tenant();
  const ids: string[] = [];
  for (const secret of ['first-secret-aaaaaaaa', 'second-secret-bbbbbbb', 'third-secret-ccccccc']) {
    const res = await api('POST', '/v1/connectors/configs', { body: tiktokConfig(secret) });
    expect(res.status).toBe(201);
    ids.push(res.body.data.id);
  }
  // The first record's secret is gone; the second record's row is damaged past decoding.
  for (const row of await rows('secrets', odata`PartitionKey eq ${tenantId} and recordId eq ${ids[0]}`)) {
    await table('secrets').deleteEntity(String(row.partitionKey), String(row.rowKey));
  }
  await table('connectorconfigs').updateEntity(
    { partitionKey: tenantId, rowKey: ids[1], publicConfig: '{not json' },
    'Merge',
  );
  const listed = await api('GET', '/v1/connectors/configs');
  expect(listed.status).toBe(200);
  const byId = Object.fromEntries(listed.body.data.map((c: { id: string }) => [c.id, c]));
  expect(Object.keys(byId).sort()).toEqual([ids[0], ids[2]].sort());
  // Which secret fields are set, masked whole: nothing of the secret itself.
  expect(byId[ids[0]].config).toEqual({ client_key: APP.clientId, client_secret: '********' });
  expect(byId[ids[2]].config).toEqual({ client_key: APP.clientId, client_secret: '********' });
  expect(listed.body.metadata.unreadable).toEqual([
    expect.objectContaining({ id: ids[1], code: 'record_unreadable' }),
  ]);
});
