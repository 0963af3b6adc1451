// The background sweep through real processes: a local host whose timer runs every 2 seconds, a TikTok fake
// that issues 6-second access tokens (behind a proxy that can fail the token endpoint) and a Google fake
// with one-hour tokens. The sweep keeps the short token alive with no request at all, leaves Google's alone,
// marks a revoked grant expired with a reconnect message, and keeps a connection active through a
// transient token-endpoint failure. Each run logs {event:'sweep', examined, renewed, expired, failed}.
import { GoogleFake, TikTokFake } from './fakes';
import { Api, apiClient } from './support/api';
import { FaultProxy, startFaultProxy } from './support/faultProxy';
import { startTestIssuer, TEST_AUDIENCE, TestIssuer } from './support/issuer';
import { RunningHost, startHost } from './support/localHost';
import { followAuthorization } from './support/oauthFlow';

const TIKTOK_APP = { clientId: 'ttsweep01', clientSecret: 'tt-sweep-secret-0123456789' };
const YOUTUBE_APP = {
  clientId: 'yt-sweep.apps.googleusercontent.com',
  clientSecret: 'yt-sweep-secret-0123456789',
};
const SWEEP_SECONDS = 2;
const TIKTOK_TOKEN_SECONDS = 6;

let issuer: TestIssuer;
let tiktok: TikTokFake;
let google: GoogleFake;
let proxy: FaultProxy;
let host: RunningHost;
let api: Api;
let tiktokId: string;
let youtubeId: string;
let googleRefreshesAtStart: number;

interface SweepLine {
  event: 'sweep';
  examined: number;
  renewed: number;
  expired: number;
  failed: number;
  purged: { states: number; sessions: number };
}

/** The sweep's log lines so far, in order. */
function sweeps(): SweepLine[] {
  return host
    .output()
    .split('\n')
    .filter((line) => line.includes('"event":"sweep"'))
    .map((line) => JSON.parse(line) as SweepLine);
}

/** The request ids of every request line the host has written so far. */
function loggedRequestIds(): string[] {
  return host
    .output()
    .split('\n')
    .filter((line) => line.includes('"event":"request"'))
    .map((line) => (JSON.parse(line) as { request_id: string }).request_id);
}

async function waitUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number) {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until)
      throw new Error(`timed out waiting for ${what}; sweeps: ${JSON.stringify(sweeps())}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function connect(type: string): Promise<string> {
  const created = await api('POST', '/v1/connectors/oauth', { body: { connector_type: type } });
  expect(created.status).toBe(201);
  const flow = await followAuthorization(created.body.data.authorization_url);
  expect(flow.callbackStatus).toBe(200);
  return created.body.data.id;
}

const connection = async (id: string) => (await api('GET', `/v1/connectors/oauth/${id}`)).body.data;

beforeAll(async () => {
  issuer = await startTestIssuer();
  tiktok = await TikTokFake.start({ accessTokenTtlSeconds: TIKTOK_TOKEN_SECONDS });
  google = await GoogleFake.start();
  tiktok.addApp(TIKTOK_APP);
  google.addApp(YOUTUBE_APP);
  // Only the TikTok token endpoint goes through the proxy, so a test can fail it once.
  proxy = await startFaultProxy(tiktok.url);
  const tokenUrl = new URL(tiktok.env().CONNECTOR_TIKTOK_TOKEN_URL);
  host = await startHost({
    env: {
      AUTH_AUTHORITY: issuer.url,
      AUTH_AUDIENCE: TEST_AUDIENCE,
      SWEEP_INTERVAL_SECONDS: String(SWEEP_SECONDS),
      // Short lives, so the purge of abandoned authorizations and idle sessions shows within the test (the
      // state is still long enough for the flows of beforeAll on a loaded machine).
      OAUTH_STATE_TTL_SECONDS: '6',
      SESSION_IDLE_HOURS: '0.0005',
      ...tiktok.env(),
      ...google.env(),
      CONNECTOR_TIKTOK_TOKEN_URL: `${proxy.url}${tokenUrl.pathname}`,
      CONNECTOR_TIKTOK_CLIENT_ID: TIKTOK_APP.clientId,
      CONNECTOR_TIKTOK_CLIENT_SECRET: TIKTOK_APP.clientSecret,
      CONNECTOR_YOUTUBE_CLIENT_ID: YOUTUBE_APP.clientId,
      CONNECTOR_YOUTUBE_CLIENT_SECRET: YOUTUBE_APP.clientSecret,
    },
  });
  api = apiClient(host.api, await issuer.token());
  tiktokId = await connect('tiktok');
  youtubeId = await connect('youtube');
  googleRefreshesAtStart = google.stats.refreshes;
}, 30000);

afterAll(async () => {
  await host?.stop();
  await proxy?.close();
  await tiktok?.close();
  await google?.close();
  await issuer?.close();
});

describe('the background sweep', () => {
  it("renews a short-lived TikTok token with no request, and never touches Google's one-hour token", async () => {
    // From the first sweep that saw both connections on, every sweep examines two.
    await waitUntil('a sweep of both connections', () => sweeps().some((l) => l.examined === 2), 20000);
    const sweepsBefore = sweeps().findIndex((l) => l.examined === 2);
    // The last request before the quiet period carries an id; once its line is written, every earlier
    // request's line is too (lines are written in order), so the count below is not racing the log writer.
    const lastRequestId = `sweep-quiet-${Date.now()}`;
    const before = (
      await api('GET', `/v1/connectors/oauth/${tiktokId}`, {
        headers: { 'x-ms-client-request-id': lastRequestId },
      })
    ).body.data;
    await waitUntil('the last request logged', () => loggedRequestIds().includes(lastRequestId), 20000);
    const requestsBefore = loggedRequestIds().length;
    const tiktokRefreshes = tiktok.stats.refreshes;
    const tiktokApiCalls = tiktok.stats.apiCalls;

    // Nothing calls the service meanwhile: only its timer runs.
    // The fake counts a refresh before the sweep that made it writes its line: wait for the lines too.
    const renewedSince = () =>
      sweeps()
        .slice(sweepsBefore)
        .reduce((n, l) => n + l.renewed, 0);
    await waitUntil(
      'two renewals by the sweep, and their lines',
      () =>
        tiktok.stats.refreshes >= tiktokRefreshes + 2 &&
        sweeps().length >= sweepsBefore + 3 &&
        renewedSince() >= 2,
      30000,
    );
    expect(loggedRequestIds().length).toBe(requestsBefore);
    expect(tiktok.stats.apiCalls).toBe(tiktokApiCalls); // the token endpoint only, no API call

    const after = await connection(tiktokId);
    expect(after.status).toBe('active');
    expect(Date.parse(after.last_refreshed_at)).toBeGreaterThan(Date.parse(before.last_refreshed_at));
    expect(Date.parse(after.expires_at)).toBeGreaterThan(Date.parse(before.expires_at));

    // Google's token has most of its hour left: several sweeps went by without refreshing it.
    expect(google.stats.refreshes).toBe(googleRefreshesAtStart);
    const youtube = await connection(youtubeId);
    expect(youtube.status).toBe('active');

    const lines = sweeps().slice(sweepsBefore);
    for (const line of lines) {
      expect(line).toEqual(
        expect.objectContaining({
          event: 'sweep',
          examined: 2,
          expired: 0,
          failed: 0,
          renewed: expect.any(Number),
        }),
      );
    }
    expect(lines.reduce((n, l) => n + l.renewed, 0)).toBeGreaterThanOrEqual(2);
  }, 60000);

  it('a transient token-endpoint failure keeps the connection active, and it still works', async () => {
    const failedBefore = proxy.failed.length;
    const sweepsBefore = sweeps().length;
    proxy.failNext({ method: 'POST', path: /\/oauth\/token\/?$/, status: 503 });
    await waitUntil('the injected failure', () => proxy.failed.length > failedBefore, 10000);
    await waitUntil(
      'a sweep that reports it',
      () =>
        sweeps()
          .slice(sweepsBefore)
          .some((l) => l.failed === 1),
      20000,
    );
    const line = sweeps()
      .slice(sweepsBefore)
      .find((l) => l.failed === 1);
    expect(line).toEqual(expect.objectContaining({ examined: 2, renewed: 0, expired: 0, failed: 1 }));

    const after = await connection(tiktokId);
    expect(after.status).toBe('active');
    expect(after.last_error).toBeNull();
    // A request renews on demand (the sweep backs off from this connection for a while).
    const refreshes = tiktok.stats.refreshes;
    const tested = await api('POST', `/v1/connectors/oauth/${tiktokId}/test`);
    expect(tested.status).toBe(200);
    expect(tested.body.data.ok).toBe(true);
    expect(tiktok.stats.refreshes).toBe(refreshes + 1);
  }, 60000);

  it('removes authorizations never completed (state and verifier) and idle sessions', async () => {
    const abandoned = await api('POST', '/v1/connectors/oauth', { body: { connector_type: 'youtube' } });
    expect(abandoned.status).toBe(201);
    const opened = await api('GET', `/v1/connectors/operations/${youtubeId}/state`);
    const session = opened.body.metadata.session_id;
    const before = sweeps().length;
    await waitUntil(
      'a sweep purging a state and a session',
      () => {
        const later = sweeps().slice(before);
        return later.some((s) => s.purged.states >= 1) && later.some((s) => s.purged.sessions >= 1);
      },
      30000,
    );
    const stale = await api('GET', `/v1/connectors/operations/${youtubeId}/state`, {
      headers: { 'x-session-id': session },
    });
    expect(stale.status).toBe(404);
    // The abandoned flow can no longer complete.
    const consent = await fetch(abandoned.body.data.authorization_url, { redirect: 'manual' });
    const callback = await fetch(consent.headers.get('location') as string, { redirect: 'manual' });
    expect(callback.status).toBe(400);
  }, 60000);

  it('a revoked grant: the sweep marks the connection expired with a message to reconnect', async () => {
    const sweepsBefore = sweeps().length;
    tiktok.revokeAllGrants();
    await waitUntil(
      'the connection to expire',
      async () => (await connection(tiktokId)).status === 'expired',
      20000,
    );
    const expired = await connection(tiktokId);
    expect(expired.last_error).toMatch(/reconnect/i);
    // The record changes before the sweep that changed it writes its line.
    await waitUntil(
      'the line of the sweep that expired it',
      () =>
        sweeps()
          .slice(sweepsBefore)
          .some((l) => l.expired === 1),
      20000,
    );
    expect(sweeps().slice(sweepsBefore)).toContainEqual(
      expect.objectContaining({ event: 'sweep', examined: 2, expired: 1, failed: 0 }),
    );
    // From then on only the YouTube connection is active, so only it is examined; still not refreshed.
    await waitUntil(
      'a sweep of the active connections only',
      () =>
        sweeps()
          .slice(sweepsBefore)
          .some((l) => l.examined === 1),
      20000,
    );
    expect((await connection(youtubeId)).status).toBe('active');
    expect(google.stats.refreshes).toBe(googleRefreshesAtStart);
  }, 60000);
});
