// Instagram video (Reels) publishing as Meta runs it: processing takes minutes, so execute answers 202 with the
// container kept in the session; publish_status (or the same execute again) checks once and publishes when the
// container is FINISHED; never a second container for the same request; ERROR and EXPIRED reported clearly.
// The fake's clock is driven by the test: nothing waits for minutes to pass.
import { META_SEED, MetaFake } from './fakes/meta';
import { Api } from './support/api';
import { startConnectedHost } from './support/connected';
import { TestIssuer } from './support/issuer';
import { RunningHost } from './support/localHost';

const APP = { app_id: '8181818181', app_secret: 'meta-reels-secret-0123456789' };
const IG = META_SEED.igUser.id;
const REEL = { ig_user_id: IG, video_url: 'https://cdn.example.com/reel.mp4', caption: 'A reel' };
const MINUTE = 60_000;

let issuer: TestIssuer;
let meta: MetaFake;
let host: RunningHost;
let api: Api;
let id: string;
let offset = 0;

beforeAll(async () => {
  meta = await MetaFake.start({ clock: () => Date.now() + offset, videoProcessingSeconds: 240 });
  meta.addApp({ clientId: APP.app_id, clientSecret: APP.app_secret });
  ({ issuer, host, api, id } = await startConnectedHost(meta, 'meta', APP));
});

afterAll(async () => {
  await host?.stop();
  await meta?.close();
  await issuer?.close();
});

const ops = (path: string) => `/v1/connectors/operations/${id}/${path}`;
const inSession = (session: string) => ({ 'x-session-id': session });
const publish = (session: string | undefined, extra: Record<string, unknown> = {}) =>
  api('POST', ops('execute'), {
    body: { operation: 'publish_instagram_media', params: REEL, ...extra },
    headers: session ? inSession(session) : {},
  });
const status = (session: string) =>
  api('POST', ops('message'), { body: { type: 'publish_status' }, headers: inSession(session) });

it('answers 202 while the video processes, never makes a second container, publishes once it is FINISHED', async () => {
  const containers = meta.videoContainers;
  const first = await publish(undefined);
  expect(first.status).toBe(202);
  expect(first.body.data.result).toEqual({
    container_id: expect.any(String),
    status: 'in_progress',
    status_code: 'IN_PROGRESS',
  });
  const session = first.body.metadata.session_id;
  const container = first.body.data.result.container_id;
  const state = await api('GET', ops('state'), { headers: inSession(session) });
  expect(state.body.data.pending_execute).toEqual({
    operation: 'publish_instagram_media',
    started_at: expect.any(String),
  });

  // The same request again checks the same container.
  const again = await publish(session);
  expect(again.status).toBe(202);
  expect(again.body.data.result.container_id).toBe(container);
  expect((await status(session)).status).toBe(202);
  expect(meta.videoContainers).toBe(containers + 1);

  offset += 5 * MINUTE; // Meta has finished processing
  const done = await status(session);
  expect(done.status).toBe(200);
  expect(done.body.data.result).toEqual({
    id: expect.any(String),
    container_id: container,
    status: 'published',
  });
  expect(meta.posts.at(-1)).toEqual(
    expect.objectContaining({
      id: done.body.data.result.id,
      mediaType: 'REELS',
      isVideo: true,
      targetId: IG,
    }),
  );
  const none = await status(session);
  expect(none.status).toBe(409);
  expect(none.body.code).toBe('nothing_pending');
  expect(meta.videoContainers).toBe(containers + 1);
});

it('an idempotency key names the same request, whatever the params look like', async () => {
  const first = await publish(undefined, { idempotency_key: 'reel-42' });
  expect(first.status).toBe(202);
  const session = first.body.metadata.session_id;
  const containers = meta.videoContainers;
  meta.finishVideos();
  const again = await api('POST', ops('execute'), {
    body: {
      operation: 'publish_instagram_media',
      params: { caption: 'A reel', video_url: REEL.video_url, ig_user_id: IG },
      idempotency_key: 'reel-42',
    },
    headers: inSession(session),
  });
  expect(again.status).toBe(200);
  expect(again.body.data.result.container_id).toBe(first.body.data.result.container_id);
  expect(meta.videoContainers).toBe(containers);
});

it('reports a container that failed processing, and one that expired before it was published', async () => {
  meta.failNextVideo();
  const failed = await publish(undefined);
  expect(failed.status).toBe(502);
  expect(failed.body.code).toBe('platform_media_error');
  expect(failed.body.error).toMatch(/could not process/);

  const slow = await publish(undefined);
  expect(slow.status).toBe(202);
  offset += 25 * 60 * MINUTE; // a day later: Meta expires unpublished containers after 24 h
  const expired = await status(slow.body.metadata.session_id);
  expect(expired.status).toBe(409);
  expect(expired.body.code).toBe('container_expired');
});

it('offers REELS, not the retired VIDEO media type', async () => {
  const res = await api('POST', ops('execute'), {
    body: { operation: 'publish_instagram_media', params: { ...REEL, media_type: 'VIDEO' } },
  });
  expect(res.status).toBe(400);
  const schema = (await api('GET', ops('metadata'))).body.data.execute_operations.publish_instagram_media;
  expect(schema.params.properties.media_type.enum).toEqual(['IMAGE', 'REELS']);
});

it('Instagram insights: total_value metrics and daily series together, period day only', async () => {
  const res = await api('POST', ops('query'), {
    body: { query: { resource: 'instagram_insights', ig_user_id: IG, metrics: ['reach', 'profile_views'] } },
  });
  expect(res.status).toBe(200);
  const metrics = new Set(res.body.data.rows.map((r: { metric: string }) => r.metric));
  expect(metrics).toEqual(new Set(['reach', 'profile_views']));
  const weekly = await api('POST', ops('query'), {
    body: { query: { resource: 'instagram_insights', ig_user_id: IG, metrics: ['reach'], period: 'week' } },
  });
  expect(weekly.status).toBe(400);
});
