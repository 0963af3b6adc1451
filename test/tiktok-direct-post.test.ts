// TikTok Direct Post as TikTok requires it, through two real hosts sharing one Azurite: creator info is queried
// before every init and the privacy level checked against the creator's options (400 naming the allowed ones);
// an unaudited app is told it may post only SELF_ONLY to a private account; the 6-inits-a-minute limit per token
// is kept by the service itself, across instances (429 with Retry-After, TikTok not called); execute answers 202
// and message publish_status follows the post with TikTok's status fetch. The fake's clock is driven by the test.
import { odata, TableClient } from '@azure/data-tables';
import { TikTokFake } from './fakes/tiktok';
import { Api, apiClient } from './support/api';
import { startTestAzurite, TestAzurite } from './support/azurite';
import { connectThroughFlow } from './support/connect';
import { startTestIssuer, TEST_AUDIENCE, TestIssuer } from './support/issuer';
import { RunningHost, startHost } from './support/localHost';

const APP = { client_key: 'ttDirectPostKey', client_secret: 'tiktok-direct-post-secret-0123456789' };
const VIDEO = {
  video_url: 'https://cdn.example.com/clips/launch.mp4',
  title: 'Launch day #supertrack',
  privacy_level: 'SELF_ONLY',
};
const INIT = '/v2/post/publish/video/init/';
const CREATOR = '/v2/post/publish/creator_info/query/';

let issuer: TestIssuer;
let azurite: TestAzurite;
let tiktok: TikTokFake;
let hosts: RunningHost[];
let api: Api;
let other: Api;
let offset = 0;

beforeAll(async () => {
  issuer = await startTestIssuer();
  azurite = await startTestAzurite();
  tiktok = await TikTokFake.start({ clock: () => Date.now() + offset, publishSeconds: 30 });
  tiktok.addApp({ clientId: APP.client_key, clientSecret: APP.client_secret });
  tiktok.verifyUrlPrefix(APP.client_key, 'https://cdn.example.com/clips/');
  const env = {
    AUTH_AUTHORITY: issuer.url,
    AUTH_AUDIENCE: TEST_AUDIENCE,
    TABLES_CONNECTION_STRING: azurite.connectionString,
    LOCAL_SECRETS_KEY: Buffer.alloc(32, 11).toString('base64'),
    ...tiktok.env(),
  };
  hosts = await Promise.all([startHost({ env }), startHost({ env })]);
  const token = await issuer.token();
  api = apiClient(hosts[0].api, token);
  other = apiClient(hosts[1].api, token);
});

afterAll(async () => {
  await Promise.all((hosts ?? []).map((h) => h.stop()));
  await tiktok?.close();
  await azurite?.close();
  await issuer?.close();
});

beforeEach(() => {
  tiktok.setAccountPrivate(false);
  tiktok.setAudited(APP.client_key, true);
});

const calls = (path: string) => tiktok.stats.requests.filter((r) => r.path === path).length;
const session = (id: string) => ({ 'x-session-id': id });

function client(connection: string, through: Api = api) {
  const ops = (path: string) => `/v1/connectors/operations/${connection}/${path}`;
  return {
    publish: (params: Record<string, unknown> = VIDEO, headers: Record<string, string> = {}) =>
      through('POST', ops('execute'), { body: { operation: 'publish_video', params }, headers }),
    status: (sessionId: string) =>
      through('POST', ops('message'), { body: { type: 'publish_status' }, headers: session(sessionId) }),
  };
}

it('queries creator info before the init, answers 202, and publish_status follows the post to PUBLISH_COMPLETE', async () => {
  const tt = client(await connectThroughFlow(api, 'tiktok', APP));
  const order = tiktok.stats.requests.length;
  const first = await tt.publish({ ...VIDEO, privacy_level: 'PUBLIC_TO_EVERYONE' });
  expect(first.status).toBe(202);
  const published = tiktok.publishes.at(-1);
  expect(first.body.data.result).toEqual({ publish_id: published?.publish_id, status: 'in_progress' });
  expect(tiktok.stats.requests.slice(order).map((r) => r.path)).toEqual([CREATOR, INIT]);

  const sessionId: string = first.body.metadata.session_id;
  const processing = await tt.status(sessionId);
  expect(processing.status).toBe(202);
  expect(processing.body.data.result).toEqual({
    publish_id: published?.publish_id,
    status: 'in_progress',
    status_code: 'PROCESSING_DOWNLOAD',
  });
  // The same execute again in the session checks the same post: never a second init.
  const inits = calls(INIT);
  expect(
    (await tt.publish({ ...VIDEO, privacy_level: 'PUBLIC_TO_EVERYONE' }, session(sessionId))).status,
  ).toBe(202);
  expect(calls(INIT)).toBe(inits);

  offset += 31_000; // TikTok has pulled and published the video
  const done = await tt.status(sessionId);
  expect(done.status).toBe(200);
  // TikTok's post ids are int64 numbers beyond JavaScript's safe integers: kept digit for digit.
  expect(done.body.data.result).toEqual({
    publish_id: published?.publish_id,
    status: 'published',
    status_code: 'PUBLISH_COMPLETE',
    post_ids: [published?.postId],
  });
  expect((await tt.status(sessionId)).body.code).toBe('nothing_pending');
});

it("a privacy level the creator does not offer is 400 naming the allowed levels; TikTok's init is not called", async () => {
  const tt = client(await connectThroughFlow(api, 'tiktok', APP));
  tiktok.setAccountPrivate(true);
  const inits = calls(INIT);
  const res = await tt.publish({ ...VIDEO, privacy_level: 'PUBLIC_TO_EVERYONE' });
  expect(res.status).toBe(400);
  expect(res.body.code).toBe('privacy_level_not_allowed');
  expect(res.body.error).toContain('FOLLOWER_OF_CREATOR, MUTUAL_FOLLOW_FRIENDS, SELF_ONLY');
  expect(res.body.details).toEqual({
    allowed: ['FOLLOWER_OF_CREATOR', 'MUTUAL_FOLLOW_FRIENDS', 'SELF_ONLY'],
  });
  expect(calls(INIT)).toBe(inits);
  expect((await tt.publish({ ...VIDEO, privacy_level: 'FOLLOWER_OF_CREATOR' })).status).toBe(202);
});

it('an app TikTok has not audited is told it may post only SELF_ONLY, to a private account, and why', async () => {
  const tt = client(await connectThroughFlow(api, 'tiktok', APP));
  tiktok.setAudited(APP.client_key, false);
  const res = await tt.publish({ ...VIDEO, privacy_level: 'PUBLIC_TO_EVERYONE' });
  expect(res.status).toBe(409);
  expect(res.body.code).toBe('tiktok_app_unaudited');
  expect(res.body.error).toMatch(/not audited/);
  expect(res.body.error).toMatch(/only with privacy_level SELF_ONLY/);
  expect(res.body.error).toMatch(/private/);
  expect(res.body.details).toEqual({
    reason: 'unaudited_client_can_only_post_to_private_accounts',
    allowed: ['SELF_ONLY'],
  });
  // Known unaudited now: a public level is refused without spending one of TikTok's six inits.
  const inits = calls(INIT);
  expect((await tt.publish({ ...VIDEO, privacy_level: 'MUTUAL_FOLLOW_FRIENDS' })).body.code).toBe(
    'tiktok_app_unaudited',
  );
  expect(calls(INIT)).toBe(inits);
  tiktok.setAccountPrivate(true);
  expect((await tt.publish(VIDEO)).status).toBe(202);
});

it('the seventh init in a minute is 429 with Retry-After from the service, across instances; TikTok sees six', async () => {
  const id = await connectThroughFlow(api, 'tiktok', APP);
  const [one, two] = [client(id, api), client(id, other)];
  const inits = calls(INIT);
  const creators = calls(CREATOR);
  for (let i = 0; i < 6; i++) {
    const res = await (i % 2 ? two : one).publish({ ...VIDEO, title: `Clip ${i}` });
    expect({ i, status: res.status, error: res.body.error }).toEqual({ i, status: 202, error: undefined });
  }
  for (const tt of [one, two]) {
    const limited = await tt.publish({ ...VIDEO, title: 'One too many' });
    expect(limited.status).toBe(429);
    expect(limited.body.code).toBe('platform_rate_limited');
    const wait = Number(limited.headers.get('retry-after'));
    expect(wait).toBeGreaterThanOrEqual(1);
    expect(wait).toBeLessThanOrEqual(60);
  }
  expect(calls(INIT) - inits).toBe(6);
  expect(calls(CREATOR) - creators).toBe(6);
  // The count lives in a table row of its own; deleting the connection takes it away too.
  const budgets = TableClient.fromConnectionString(azurite.connectionString, 'callbudgets', {
    allowInsecureConnection: true,
  });
  const rowsOf = async () => {
    let n = 0;
    for await (const _ of budgets.listEntities({ queryOptions: { filter: odata`PartitionKey eq ${id}` } }))
      n++;
    return n;
  };
  expect(await rowsOf()).toBe(1);
  expect((await api('DELETE', `/v1/connectors/oauth/${id}`)).status).toBe(200);
  expect(await rowsOf()).toBe(0);
});

it("a post TikTok could not publish is reported with TikTok's fail_reason", async () => {
  const tt = client(await connectThroughFlow(api, 'tiktok', APP));
  tiktok.failNextPublish('video_pull_failed');
  const started = await tt.publish();
  expect(started.status).toBe(202);
  const failed = await tt.status(started.body.metadata.session_id);
  expect(failed.status).toBe(502);
  expect(failed.body.code).toBe('platform_publish_failed');
  expect(failed.body.error).toMatch(/video_pull_failed/);
  expect(failed.body.details).toEqual({ reason: 'video_pull_failed' });
});

it('a creator at TikTok’s daily post cap is told so before any init', async () => {
  const tt = client(await connectThroughFlow(api, 'tiktok', APP));
  tiktok.capCreatorPosts();
  try {
    const inits = calls(INIT);
    const res = await tt.publish();
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('platform_quota_exhausted');
    expect(res.body.details).toEqual({ reason: 'spam_risk_too_many_posts' });
    expect(calls(INIT)).toBe(inits);
  } finally {
    tiktok.capCreatorPosts(false);
  }
});

it("a video URL outside the app's verified URL prefixes is 400 saying what to verify", async () => {
  const tt = client(await connectThroughFlow(api, 'tiktok', APP));
  const res = await tt.publish({ ...VIDEO, video_url: 'https://elsewhere.example.net/launch.mp4' });
  expect(res.status).toBe(400);
  expect(res.body.details).toEqual({ reason: 'url_ownership_unverified' });
  expect(res.body.error).toMatch(/verified for the app/);
  expect(tiktok.publishes.filter((p) => p.video_url.includes('elsewhere'))).toHaveLength(0);
});
