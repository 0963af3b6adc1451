// No silent truncation of account lists: every page of a platform's list is walked (LinkedIn pages
// adAccountUsers by 10 unless asked otherwise), a safety cap (ACCOUNT_LIST_LIMIT) that cuts a list says so,
// and an account beyond the cap can still be selected.
import { LinkedInFake } from './fakes/linkedin';
import { META_SEED, MetaFake } from './fakes/meta';
import { Api, apiClient } from './support/api';
import { connectThroughFlow } from './support/connect';
import { startTestIssuer, TEST_AUDIENCE, TestIssuer } from './support/issuer';
import { RunningHost, startHost } from './support/localHost';

const LINKEDIN_APP = { client_id: 'liLists', client_secret: 'linkedin-lists-secret-0123456789' };
const META_APP = { app_id: '6161616161', app_secret: 'meta-lists-secret-0123456789' };

let issuer: TestIssuer;
let linkedin: LinkedInFake;
let meta: MetaFake;
let seeded: string[];
const hosts: RunningHost[] = [];

beforeAll(async () => {
  issuer = await startTestIssuer();
  linkedin = await LinkedInFake.start();
  linkedin.addApp({ clientId: LINKEDIN_APP.client_id, clientSecret: LINKEDIN_APP.client_secret });
  seeded = linkedin.seedAdAccounts(250);
  meta = await MetaFake.start();
  meta.addApp({ clientId: META_APP.app_id, clientSecret: META_APP.app_secret });
});

afterAll(async () => {
  await Promise.all(hosts.map((h) => h.stop()));
  await linkedin?.close();
  await meta?.close();
  await issuer?.close();
});

async function service(settings: Record<string, string> = {}): Promise<Api> {
  const host = await startHost({
    env: {
      AUTH_AUTHORITY: issuer.url,
      AUTH_AUDIENCE: TEST_AUDIENCE,
      ...linkedin.env(),
      ...meta.env(),
      ...settings,
    },
  });
  hosts.push(host);
  return apiClient(host.api, await issuer.token());
}

type Listed = { id: string; kind: string };
const ofKind = (accounts: Listed[], kind: string) => accounts.filter((a) => a.kind === kind).map((a) => a.id);

it('LinkedIn: all 252 ad accounts are listed, walking adAccountUsers page by page', async () => {
  const api = await service();
  const id = await connectThroughFlow(api, 'linkedin', LINKEDIN_APP);
  const before = linkedin.stats.requests.filter((r) => r.path === '/rest/adAccountUsers').length;
  const res = await api('GET', `/v1/connectors/operations/${id}/metadata`);
  expect(res.status).toBe(200);
  const adAccounts = ofKind(res.body.data.accounts, 'ad_account');
  expect(adAccounts).toEqual(['5001', '5002', ...seeded]);
  expect(res.body.data.truncated).toBe(false);
  expect(res.body.data.truncation).toBeUndefined();
  const pages = linkedin.stats.requests.filter((r) => r.path === '/rest/adAccountUsers').length - before;
  expect(pages).toBeGreaterThan(1);
  // The last seeded account is selectable and queryable.
  const last = seeded[seeded.length - 1];
  const selected = await api('POST', `/v1/connectors/operations/${id}/account`, {
    body: { account_id: last },
  });
  expect(selected.status).toBe(200);
  expect(selected.body.data.account).toEqual(expect.objectContaining({ id: last, kind: 'ad_account' }));
});

describe('with a safety cap', () => {
  let api: Api;
  beforeAll(async () => {
    api = await service({ ACCOUNT_LIST_LIMIT: '100' });
  });

  it('LinkedIn: the list says it is truncated and how to go on; an account beyond the cap can be selected', async () => {
    const id = await connectThroughFlow(api, 'linkedin', LINKEDIN_APP);
    const res = await api('GET', `/v1/connectors/operations/${id}/metadata`);
    expect(res.status).toBe(200);
    expect(ofKind(res.body.data.accounts, 'ad_account')).toHaveLength(100);
    expect(res.body.data.truncated).toBe(true);
    expect(res.body.data.truncation).toMatch(/ACCOUNT_LIST_LIMIT.*POST …\/account/);
    const beyond = seeded[200];
    expect(ofKind(res.body.data.accounts, 'ad_account')).not.toContain(beyond);
    const selected = await api('POST', `/v1/connectors/operations/${id}/account`, {
      body: { account_id: beyond },
    });
    expect(selected.status).toBe(200);
    expect(selected.body.data.state.account_id).toBe(beyond);
    const unknown = await api('POST', `/v1/connectors/operations/${id}/account`, {
      body: { account_id: '999999' },
    });
    expect(unknown.status).toBe(400);
  });

  it('Meta: ad accounts and Pages beyond the cap are flagged, selectable, and a Page beyond it can post', async () => {
    const capped = await service({ ACCOUNT_LIST_LIMIT: '1' });
    const id = await connectThroughFlow(capped, 'meta', META_APP);
    const res = await capped('GET', `/v1/connectors/operations/${id}/metadata`);
    expect(res.status).toBe(200);
    expect(ofKind(res.body.data.accounts, 'ad_account')).toHaveLength(1);
    expect(ofKind(res.body.data.accounts, 'page')).toHaveLength(1);
    expect(res.body.data.truncated).toBe(true);
    const secondAccount = `act_${META_SEED.adAccounts[1].accountId}`;
    const secondPage = META_SEED.pages[1].id;
    for (const accountId of [secondAccount, secondPage]) {
      const selected = await capped('POST', `/v1/connectors/operations/${id}/account`, {
        body: { account_id: accountId },
      });
      expect(selected.status).toBe(200);
    }
    const posted = await capped('POST', `/v1/connectors/operations/${id}/execute`, {
      body: { operation: 'publish_post', params: { page_id: secondPage, message: 'Beyond the cap' } },
    });
    expect(posted.status).toBe(200);
    expect(meta.posts.at(-1)).toEqual(expect.objectContaining({ targetId: secondPage }));
  });
});
