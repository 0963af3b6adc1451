// The OAuth callback when our own dependency fails (here the local secret store under the wrong key, which
// cannot read the app credentials): the callback answers 503 saying to open the same link again, consumes
// nothing and blames no platform; once the right key is back, the same link completes the connection.
import { randomUUID } from 'node:crypto';
import { odata, TableClient } from '@azure/data-tables';
import { TikTokFake } from './fakes';
import { apiClient } from './support/api';
import { startTestAzurite, TestAzurite } from './support/azurite';
import { startTestIssuer, TEST_AUDIENCE, TestIssuer } from './support/issuer';
import { RunningHost, startHost } from './support/localHost';
import { callCallback } from './support/oauthFlow';

const APP = { clientId: 'ttcallback01', clientSecret: 'tt-callback-secret-0123456789' };
const RIGHT_KEY = Buffer.alloc(32, 3).toString('base64');
const WRONG_KEY = Buffer.alloc(32, 4).toString('base64');

let issuer: TestIssuer;
let azurite: TestAzurite;
let tiktok: TikTokFake;
const hosts: RunningHost[] = [];

beforeAll(async () => {
  [issuer, azurite, tiktok] = await Promise.all([startTestIssuer(), startTestAzurite(), TikTokFake.start()]);
  tiktok.addApp(APP);
});

afterAll(async () => {
  for (const h of hosts) await h.stop();
  await Promise.all([azurite?.close(), issuer?.close(), tiktok?.close()]);
});

async function host(key: string): Promise<RunningHost> {
  const h = await startHost({
    env: {
      AUTH_AUTHORITY: issuer.url,
      AUTH_AUDIENCE: TEST_AUDIENCE,
      TABLES_CONNECTION_STRING: azurite.connectionString,
      LOCAL_SECRETS_KEY: key,
      ...tiktok.env(),
    },
  });
  hosts.push(h);
  return h;
}

async function stateRows(connectionId: string): Promise<number> {
  const states = TableClient.fromConnectionString(azurite.connectionString, 'oauthstates', {
    allowInsecureConnection: true,
  });
  let n = 0;
  for await (const _ of states.listEntities({
    queryOptions: { filter: odata`connectionId eq ${connectionId}` },
  }))
    n++;
  return n;
}

it('a secret store that cannot read the app credentials: 503, the link kept, nothing blamed on the platform', async () => {
  const tenantId = randomUUID();
  const token = await issuer.token({ tid: tenantId });
  const first = await host(RIGHT_KEY);
  const api = apiClient(first.api, token);
  const cfg = await api('POST', '/v1/connectors/configs', {
    body: {
      name: 'tt',
      connector_type: 'tiktok',
      config: { client_key: APP.clientId, client_secret: APP.clientSecret },
    },
  });
  expect(cfg.status).toBe(201);
  const created = await api('POST', '/v1/connectors/oauth', {
    body: { connector_type: 'tiktok', config_id: cfg.body.data.id },
  });
  expect(created.status).toBe(201);
  const id: string = created.body.data.id;
  await first.stop();

  // The user consents at the platform while the service runs with the wrong key.
  const exchangesBefore = tiktok.stats.codeExchanges;
  const consent = await fetch(created.body.data.authorization_url, { redirect: 'manual' });
  const callback = new URL(consent.headers.get('location') as string);
  // Each host listens on a port of its own; the link is the same.
  const on = (h: RunningHost) => `${h.url}${callback.pathname}${callback.search}`;
  const wrong = await host(WRONG_KEY);
  const callbackUrl = on(wrong);
  const refused = await callCallback(callbackUrl);
  const page = await fetch(callbackUrl, { redirect: 'manual', headers: { accept: 'text/html' } });
  const pageText = await page.text();
  const during = await apiClient(wrong.api, token)('GET', `/v1/connectors/oauth/${id}`);
  await wrong.stop();
  expect(refused.callbackStatus).toBe(503);
  expect(refused.location).toBeUndefined();
  expect(JSON.parse(refused.callbackBody)).toEqual(
    expect.objectContaining({
      code: 'dependency_unavailable',
      error: expect.stringMatching(/same link again/),
    }),
  );
  expect(page.status).toBe(503);
  expect(page.headers.get('content-type')).toMatch(/^text\/html/);
  expect(pageText).toMatch(/same link again/);
  expect(pageText).not.toMatch(/platform/i);
  // Nothing changed: the connection is pending without an error, the state is still there, and the platform
  // never saw the code.
  expect(during.body.data).toEqual(expect.objectContaining({ status: 'pending', last_error: null }));
  expect(await stateRows(id)).toBe(1);
  expect(tiktok.stats.codeExchanges).toBe(exchangesBefore);

  // The right key is back: the same link completes.
  const right = await host(RIGHT_KEY);
  const done = await callCallback(on(right));
  expect(done.callbackStatus).toBe(200);
  const after = await apiClient(right.api, token)('GET', `/v1/connectors/oauth/${id}`);
  expect(after.body.data).toEqual(expect.objectContaining({ status: 'active', last_error: null }));
  expect(await stateRows(id)).toBe(0);
});
