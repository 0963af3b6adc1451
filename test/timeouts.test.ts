// Timeouts by kind of call: reports get a longer budget than token, identity and account calls, and a report
// that timed out is not asked again at once. Budgets are shortened by settings so the test waits seconds.
import { META_SEED, MetaFake } from './fakes/meta';
import { Api, apiClient } from './support/api';
import { connectThroughFlow } from './support/connect';
import { startTestIssuer, TEST_AUDIENCE, TestIssuer } from './support/issuer';
import { RunningHost, startHost } from './support/localHost';

const APP = { app_id: '5252525252', app_secret: 'meta-timeouts-secret-0123456789' };
const INSIGHTS = {
  resource: 'insights',
  account_id: `act_${META_SEED.adAccounts[0].accountId}`,
  fields: ['impressions'],
  date_preset: 'last_7d',
};

let issuer: TestIssuer;
let meta: MetaFake;
let host: RunningHost;
let api: Api;
let id: string;

beforeAll(async () => {
  issuer = await startTestIssuer();
  meta = await MetaFake.start();
  meta.addApp({ clientId: APP.app_id, clientSecret: APP.app_secret });
  host = await startHost({
    env: {
      AUTH_AUTHORITY: issuer.url,
      AUTH_AUDIENCE: TEST_AUDIENCE,
      ...meta.env(),
      PLATFORM_TIMEOUT_SECONDS: '1',
      REPORT_TIMEOUT_SECONDS: '8',
    },
  });
  api = apiClient(host.api, await issuer.token());
  id = await connectThroughFlow(api, 'meta', APP);
});

afterAll(async () => {
  await host?.stop();
  await meta?.close();
  await issuer?.close();
});

const insightsCalls = () => meta.stats.requests.filter((r) => r.path.endsWith('/insights')).length;

it('an account call gets the short budget', async () => {
  for (let i = 0; i < 3; i++) meta.delayNext(2500, /\/adaccounts$/);
  const res = await api('GET', `/v1/connectors/operations/${id}/metadata`);
  expect(res.status).toBe(504);
  expect(res.body.code).toBe('platform_unreachable');
});

it('a report gets the longer budget', async () => {
  meta.delayNext(2500, /\/insights$/);
  const res = await api('POST', `/v1/connectors/operations/${id}/query`, { body: { query: INSIGHTS } });
  expect(res.status).toBe(200);
});

it('a report that timed out is not repeated', async () => {
  for (let i = 0; i < 3; i++) meta.delayNext(12000, /\/insights$/);
  const before = insightsCalls();
  const res = await api('POST', `/v1/connectors/operations/${id}/query`, { body: { query: INSIGHTS } });
  expect(res.status).toBe(504);
  expect(insightsCalls() - before).toBe(1);
}, 30000);
