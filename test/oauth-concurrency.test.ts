// Exactly one renewal per connection across instances: two local host processes share one Azurite and one
// secret store; 50 concurrent requests on a connection whose token has expired cause one refresh at the
// platform (TikTok, whose refresh tokens rotate: a second refresh would kill the grant).
import { odata, TableClient } from '@azure/data-tables';
import { TikTokFake } from './fakes/tiktok';
import { Api, apiClient } from './support/api';
import { startTestAzurite, TestAzurite } from './support/azurite';
import { startTestIssuer, TEST_AUDIENCE, TestIssuer } from './support/issuer';
import { RunningHost, startHost } from './support/localHost';
import { followAuthorization } from './support/oauthFlow';

// The first access token lives 3 s, every later one an hour: once the first has expired, any renewal policy
// renews it before use, and the renewed token cannot come due again while the 50 requests run, however slow
// the machine. The state keeps its default life; the test of its expiry moves the state's end to the past.
const FIRST_TOKEN_SECONDS = 3;
const LATER_TOKEN_SECONDS = 3600;

let issuer: TestIssuer;
let azurite: TestAzurite;
let tiktok: TikTokFake;
let hosts: RunningHost[] = [];
let apis: Api[];

beforeAll(async () => {
  issuer = await startTestIssuer();
  azurite = await startTestAzurite();
  tiktok = await TikTokFake.start({ accessTokenTtlSeconds: FIRST_TOKEN_SECONDS });
  tiktok.addApp({ clientId: 'ttconcurrency', clientSecret: 'tt-concurrency-secret-123' });
  const env = {
    AUTH_AUTHORITY: issuer.url,
    AUTH_AUDIENCE: TEST_AUDIENCE,
    TABLES_CONNECTION_STRING: azurite.connectionString,
    LOCAL_SECRETS_KEY: Buffer.alloc(32, 7).toString('base64'),
    CONNECTOR_TIKTOK_CLIENT_ID: 'ttconcurrency',
    CONNECTOR_TIKTOK_CLIENT_SECRET: 'tt-concurrency-secret-123',
    ...tiktok.env(),
  };
  hosts = await Promise.all([startHost({ env }), startHost({ env })]);
  const token = await issuer.token();
  apis = hosts.map((h) => apiClient(h.api, token));
});

/** Polls (every 100 ms, up to a generous deadline) until the wall clock is past an ISO instant. */
async function waitUntilPast(iso: string, what: string): Promise<void> {
  const at = Date.parse(iso);
  const deadline = Date.now() + 60_000;
  while (Date.now() <= at) {
    if (Date.now() > deadline) throw new Error(`${what} (${iso}) never passed`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

afterAll(async () => {
  await Promise.all(hosts.map((h) => h.stop()));
  await tiktok?.close();
  await azurite?.close();
  await issuer?.close();
});

it('50 concurrent requests over two instances on an expired token: one refresh, all succeed', async () => {
  const created = await apis[0]('POST', '/v1/connectors/oauth', { body: { connector_type: 'tiktok' } });
  expect(created.status).toBe(201);
  const id = created.body.data.id;
  await followAuthorization(created.body.data.authorization_url);
  tiktok.setAccessTokenTtl(LATER_TOKEN_SECONDS);
  const connected = (await apis[1]('GET', `/v1/connectors/oauth/${id}`)).body.data;
  expect(connected.status).toBe('active');

  // The event: the stored token has expired (the platform would refuse it).
  await waitUntilPast(connected.expires_at, 'the first token’s expiry');
  const before = tiktok.stats.refreshes;
  const results = await Promise.all(
    Array.from({ length: 50 }, (_, i) => apis[i % 2]('POST', `/v1/connectors/oauth/${id}/test`)),
  );
  expect(results.map((r) => r.status)).toEqual(Array(50).fill(200));
  expect(results.every((r) => r.body.data.ok === true)).toBe(true);
  expect(tiktok.stats.refreshes - before).toBe(1);
  expect((await apis[0]('GET', `/v1/connectors/oauth/${id}`)).body.data.status).toBe('active');
}, 120_000); // a whole flow, a token's expiry and 50 requests over two hosts: more than 30 s on a loaded machine

it('a state past its lifetime answers 400 and the connection stays pending', async () => {
  const created = await apis[0]('POST', '/v1/connectors/oauth', { body: { connector_type: 'tiktok' } });
  const consent = await fetch(created.body.data.authorization_url, { redirect: 'manual' });
  // Its lifetime ends now (rather than after a wait on the clock).
  const states = TableClient.fromConnectionString(azurite.connectionString, 'oauthstates', {
    allowInsecureConnection: true,
  });
  const filter = odata`connectionId eq ${created.body.data.id as string}`;
  for await (const row of states.listEntities({ queryOptions: { filter } })) {
    await states.updateEntity(
      {
        partitionKey: String(row.partitionKey),
        rowKey: String(row.rowKey),
        expiresAt: new Date(Date.now() - 1000).toISOString(),
      },
      'Merge',
    );
  }
  const res = await fetch(consent.headers.get('location') as string, { redirect: 'manual' });
  expect(res.status).toBe(400);
  expect((await apis[1]('GET', `/v1/connectors/oauth/${created.body.data.id}`)).body.data.status).toBe(
    'pending',
  );
});
