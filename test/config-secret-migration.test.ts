// A field the schema made secret after records were written (X's api_key, a username in X's words) is moved
// out of the table into the secret store the first time the record is read on its own (GET, PATCH, verify, a
// connection's use), keeping its value; until then it is masked like any secret.
import { odata, TableClient } from '@azure/data-tables';
import { XFake } from './fakes/x';
import { Api, apiClient } from './support/api';
import { startTestAzurite, TestAzurite } from './support/azurite';
import { startTestIssuer, TEST_AUDIENCE, TestIssuer } from './support/issuer';
import { RunningHost, startHost } from './support/localHost';

const API_KEY = 'legacyconsumerkey42';
const API_SECRET = 'x-consumer-secret-MIGRATION-0123';

let issuer: TestIssuer;
let azurite: TestAzurite;
let x: XFake;
let host: RunningHost;
let api: Api;
let table: TableClient;

beforeAll(async () => {
  issuer = await startTestIssuer();
  azurite = await startTestAzurite();
  x = await XFake.start();
  x.addConsumerKey(API_KEY, API_SECRET);
  host = await startHost({
    env: {
      AUTH_AUTHORITY: issuer.url,
      AUTH_AUDIENCE: TEST_AUDIENCE,
      TABLES_CONNECTION_STRING: azurite.connectionString,
      ...x.env(),
    },
  });
  api = apiClient(host.api, await issuer.token());
  table = TableClient.fromConnectionString(azurite.connectionString, 'connectorconfigs', {
    allowInsecureConnection: true,
  });
});

afterAll(async () => {
  await host?.stop();
  await x?.close();
  await azurite?.close();
  await issuer?.close();
});

/** A twitter configuration as records were written before api_key was a secret: the key in the table. */
async function legacyRecord(): Promise<string> {
  const created = await api('POST', '/v1/connectors/configs', {
    body: {
      name: 'old X app',
      connector_type: 'twitter',
      config: { api_key: API_KEY, api_secret: API_SECRET },
    },
  });
  expect(created.status).toBe(201);
  const id: string = created.body.data.id;
  for await (const row of table.listEntities({ queryOptions: { filter: odata`RowKey eq ${id}` } })) {
    await table.updateEntity(
      {
        partitionKey: String(row.partitionKey),
        rowKey: id,
        publicConfig: JSON.stringify({ api_key: API_KEY }),
        secretFields: JSON.stringify(['api_secret']),
      },
      'Merge',
    );
  }
  return id;
}

async function entity(id: string): Promise<Record<string, unknown>> {
  for await (const row of table.listEntities({ queryOptions: { filter: odata`RowKey eq ${id}` } }))
    return row;
  throw new Error(`no record ${id}`);
}

it('a single-record read moves the key into the secret store, keeping its value', async () => {
  const id = await legacyRecord();
  expect(JSON.stringify(await entity(id))).toContain(API_KEY);

  const got = await api('GET', `/v1/connectors/configs/${id}/config`);
  expect(got.status).toBe(200);
  expect(got.body.data.api_key).toBe('lega********ey42');
  const stored = await entity(id);
  expect(JSON.stringify(stored)).not.toContain(API_KEY);
  expect(JSON.parse(String(stored.secretFields))).toEqual(expect.arrayContaining(['api_key', 'api_secret']));

  // The key still works: X's verify signs with it.
  const verified = await api('POST', `/v1/connectors/configs/${id}/verify`);
  expect(verified.body.data).toEqual(expect.objectContaining({ status: 'active', verified: true }));
});

it('a PATCH of the name alone moves it too', async () => {
  const id = await legacyRecord();
  const patched = await api('PATCH', `/v1/connectors/configs/${id}`, { body: { name: 'renamed' } });
  expect(patched.status).toBe(200);
  expect(JSON.stringify(await entity(id))).not.toContain(API_KEY);
  expect((await api('GET', `/v1/connectors/configs/${id}/config`)).body.data.api_key).toBe(
    'lega********ey42',
  );
});
