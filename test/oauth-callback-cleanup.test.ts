// The OAuth callback's clean-ups that must not change the answer (the PKCE verifier's deletion, pruning older
// token versions, recording a failure, deleting the tokens of a connection deleted meanwhile): when one fails,
// the person gets the same answer and the log gets one redacted line saying which. The stores are real
// (Azurite, the local secret store); the failure is injected into the one store call, on its instance.
import { randomUUID } from 'node:crypto';
import { startLocalHost, LocalHost } from '../host/server';
import { secretStore } from '../src/secrets';
import { SecretRef } from '../src/secrets/secretStore';
import { resetSettings } from '../src/settings';
import { connections } from '../src/stores/connectionStore';
import { XFake } from './fakes';
import { Api, apiClient } from './support/api';
import { startTestAzurite, TestAzurite } from './support/azurite';
import { startTestIssuer, TEST_AUDIENCE, TestIssuer } from './support/issuer';
import { callCallback } from './support/oauthFlow';

const X_APP = { clientId: 'xcleanup0001', clientSecret: 'x-cleanup-secret-0123456789' };
/** What a storage error might quote: it must not reach the log. */
const CREDENTIAL = 'access_token=cleanup9secret9value9123';

let azurite: TestAzurite;
let issuer: TestIssuer;
let x: XFake;
let host: LocalHost;
let api: Api;
const lines: string[] = [];

beforeAll(async () => {
  [azurite, issuer, x] = await Promise.all([startTestAzurite(), startTestIssuer(), XFake.start()]);
  x.addApp(X_APP);
  Object.assign(process.env, {
    AUTH_AUTHORITY: issuer.url,
    AUTH_AUDIENCE: TEST_AUDIENCE,
    TABLES_CONNECTION_STRING: azurite.connectionString,
    LOCAL_SECRETS_KEY: Buffer.alloc(32, 9).toString('base64'),
    ...x.env(),
    CONNECTOR_TWITTER_CLIENT_ID: X_APP.clientId,
    CONNECTOR_TWITTER_CLIENT_SECRET: X_APP.clientSecret,
  });
  resetSettings();
  const routes = (await import('../functions/routes')) as typeof import('../functions/routes');
  host = await startLocalHost({
    port: 0,
    routePrefix: 'api',
    functions: routes.httpFunctions,
    log: (level, fn, _id, message) => {
      if (fn === 'oauth-callback') lines.push(`${level} ${message}`);
    },
  });
  process.env.PUBLIC_BASE_URL = `http://127.0.0.1:${host.port}`;
  resetSettings();
  api = apiClient(`http://127.0.0.1:${host.port}/api`, await issuer.token({ tid: randomUUID() }));
}, 60000);

afterEach(() => {
  jest.restoreAllMocks();
  lines.length = 0;
});

afterAll(async () => {
  await host?.close();
  await Promise.all([azurite?.close(), issuer?.close(), x?.close()]);
});

/** A connection whose user has consented at X: the callback URL the browser is about to open. */
async function consented(): Promise<{ id: string; callbackUrl: string }> {
  const created = await api('POST', '/v1/connectors/oauth', { body: { connector_type: 'twitter' } });
  expect(created.status).toBe(201);
  const consent = await fetch(created.body.data.authorization_url, { redirect: 'manual' });
  const callbackUrl = consent.headers.get('location');
  expect(consent.status).toBe(302);
  if (!callbackUrl) throw new Error('no callback URL');
  return { id: created.body.data.id, callbackUrl };
}

/** The secret store's deletions of one kind of secret fail; the others run as usual. */
function failDeletes(kind: SecretRef['kind']) {
  const store = secretStore();
  const real = store.delete.bind(store);
  jest.spyOn(store, 'delete').mockImplementation(async (ref) => {
    if (ref.kind === kind) throw new Error(`storage refused the delete (${CREDENTIAL})`);
    return real(ref);
  });
}

function expectLogged(what: string) {
  const line = lines.find((l) => l.includes(`oauth callback: ${what} failed`));
  expect(line).toBeDefined();
  expect(line).toMatch(/^warning /);
  expect(line).toContain('access_token=[redacted]');
  expect(line).not.toContain(CREDENTIAL);
}

const statusOf = async (id: string) => (await api('GET', `/v1/connectors/oauth/${id}`)).body.data.status;

it('the PKCE verifier cannot be deleted: connected all the same, and the failure is logged', async () => {
  const { id, callbackUrl } = await consented();
  failDeletes('state');
  const flow = await callCallback(callbackUrl);
  expect(flow.callbackStatus).toBe(200);
  expect(await statusOf(id)).toBe('active');
  expectLogged('deleting the PKCE verifier');
});

it('older token versions cannot be pruned: connected all the same, and the failure is logged', async () => {
  const { id, callbackUrl } = await consented();
  const store = secretStore();
  jest.spyOn(store, 'prune').mockRejectedValue(new Error(`storage refused the prune (${CREDENTIAL})`));
  const flow = await callCallback(callbackUrl);
  expect(flow.callbackStatus).toBe(200);
  expect(await statusOf(id)).toBe('active');
  expectLogged('pruning older token versions');
});

it('a refusal that cannot be recorded on the connection: the same error page, and the failure is logged', async () => {
  const { id, callbackUrl } = await consented();
  const refused = new URL(callbackUrl);
  refused.searchParams.delete('code');
  refused.searchParams.set('error', 'access_denied');
  jest.spyOn(connections, 'update').mockRejectedValue(new Error(`storage refused the write (${CREDENTIAL})`));
  const flow = await callCallback(refused.toString());
  expect(flow.callbackStatus).toBe(200);
  expect(flow.callbackBody).toContain('access_denied');
  jest.restoreAllMocks();
  expect(await statusOf(id)).toBe('pending');
  expectLogged(`recording the failure on connection ${id}`);
});

it('the tokens of a connection deleted meanwhile cannot be deleted: the link is spent, and it is logged', async () => {
  const { callbackUrl } = await consented();
  // The record is gone when the grant is saved (deleted while the exchange ran) …
  jest.spyOn(connections, 'update').mockResolvedValue(undefined);
  // … and its new tokens cannot be removed: the sweep's repair will.
  failDeletes('connection');
  const flow = await callCallback(callbackUrl);
  expect(flow.callbackStatus).toBe(400);
  expectLogged("deleting the tokens of a connection deleted meanwhile (the sweep's repair will)");
});
