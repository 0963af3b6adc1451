// The background sweep through real processes: a local host whose timer runs every second, a TikTok fake that
// issues 6-second access tokens and a Google fake with one-hour tokens. Access tokens are renewed on use only:
// the sweep makes no platform call for them, however short they are, and reads nothing that is not due.
// Each run logs {event:'sweep', due, entitiesRead, platformCalls, renewed, expired, noticed, failed, stale,
// purged}. (What the sweep does when a grant's end comes is in lifecycle.test.ts, with simulated time.)
// The local host never starts a run while the last one is going, like the Functions host.
import { InvocationContext } from '@azure/functions';
import { startLocalHost } from '../host/server';
import { GoogleFake, TikTokFake } from './fakes';
import { Api, apiClient, ApiResponse } from './support/api';
import { FaultProxy, startFaultProxy } from './support/faultProxy';
import { startTestIssuer, TEST_AUDIENCE, TestIssuer } from './support/issuer';
import { RunningHost, startHost } from './support/localHost';
import { followAuthorization } from './support/oauthFlow';

const TIKTOK_APP = { clientId: 'ttsweep01', clientSecret: 'tt-sweep-secret-0123456789' };
const YOUTUBE_APP = {
  clientId: 'yt-sweep.apps.googleusercontent.com',
  clientSecret: 'yt-sweep-secret-0123456789',
};
const SWEEP_SECONDS = 1;
const TIKTOK_TOKEN_SECONDS = 6;

let issuer: TestIssuer;
let tiktok: TikTokFake;
let google: GoogleFake;
let proxy: FaultProxy;
let host: RunningHost;
let api: Api;
let tiktokId: string;
let lapsedId: string;
let youtubeId: string;
let googleRefreshesAtStart: number;
/** Started in beforeAll, so the state's and the session's lives run out while the first tests wait. */
let purgesFrom: number;
let abandoned: ApiResponse;
let opened: ApiResponse;

interface SweepLine {
  event: 'sweep';
  due: number;
  entitiesRead: number;
  platformCalls: number;
  renewed: number;
  expired: number;
  noticed: number;
  failed: number;
  stale: number;
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
  // A second TikTok connection, left alone: its token lapses while the first test waits for the first one's.
  lapsedId = await connect('tiktok');
  youtubeId = await connect('youtube');
  // An authorization never completed and an operations session left idle, for the purge test.
  purgesFrom = sweeps().length;
  abandoned = await api('POST', '/v1/connectors/oauth', { body: { connector_type: 'youtube' } });
  opened = await api('GET', `/v1/connectors/operations/${youtubeId}/state`);
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
  it('never renews an access token, however short: tokens are renewed on use, and nothing is read', async () => {
    const sweepsBefore = sweeps().length;
    const tiktokRefreshes = tiktok.stats.refreshes;
    const tiktokApiCalls = tiktok.stats.apiCalls;
    const before = await connection(tiktokId);
    // Nothing calls the service meanwhile: only its timer runs, well past the 6-second token's life.
    await waitUntil(
      'a sweep after the TikTok token lapsed',
      () => sweeps().length >= sweepsBefore + 3 && Date.now() > Date.parse(before.expires_at),
      30000,
    );
    expect(tiktok.stats.refreshes).toBe(tiktokRefreshes);
    expect(tiktok.stats.apiCalls).toBe(tiktokApiCalls);
    expect(google.stats.refreshes).toBe(googleRefreshesAtStart);
    // The host's first run may have backfilled these connections (one page read); every later run reads only
    // the backfill's marker.
    for (const line of sweeps().slice(Math.max(sweepsBefore, 1))) {
      expect(line).toEqual(
        expect.objectContaining({ event: 'sweep', due: 0, entitiesRead: 1, platformCalls: 0, failed: 0 }),
      );
    }

    // A use renews it, once.
    const tested = await api('POST', `/v1/connectors/oauth/${tiktokId}/test`);
    expect(tested.status).toBe(200);
    expect(tested.body.data.ok).toBe(true);
    expect(tiktok.stats.refreshes).toBe(tiktokRefreshes + 1);
    const after = await connection(tiktokId);
    expect(after.status).toBe('active');
    expect(Date.parse(after.expires_at)).toBeGreaterThan(Date.parse(before.expires_at));
    // TikTok's refresh token rotates: renewing moved the grant's end on.
    expect(Date.parse(after.reconnect_by)).toBeGreaterThan(Date.parse(before.reconnect_by));
  }, 40000);

  it('a transient token-endpoint failure on use answers 502 and keeps the connection active', async () => {
    const failedBefore = proxy.failed.length;
    await waitUntil(
      'the TikTok token to lapse',
      async () => {
        const c = await connection(lapsedId);
        return Date.now() > Date.parse(c.expires_at);
      },
      20000,
    );
    proxy.failNext({ method: 'POST', path: /\/oauth\/token\/?$/, status: 503 });
    const failed = await api('POST', `/v1/connectors/oauth/${lapsedId}/test`);
    expect(failed.status).toBe(502);
    expect(proxy.failed.length).toBe(failedBefore + 1);
    const after = await connection(lapsedId);
    expect(after.status).toBe('active');
    expect(after.last_error).toBeNull();
    const tested = await api('POST', `/v1/connectors/oauth/${lapsedId}/test`);
    expect(tested.status).toBe(200);
    expect(tested.body.data.ok).toBe(true);
  }, 30000);

  it('removes authorizations never completed (state and verifier) and idle sessions', async () => {
    expect(abandoned.status).toBe(201);
    expect(opened.status).toBe(200);
    const session = opened.body.metadata.session_id;
    await waitUntil(
      'a sweep purging a state and a session',
      () => {
        const later = sweeps().slice(purgesFrom);
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
});

describe("the local host's timer", () => {
  it('never starts a run while the last one is still going', async () => {
    const messages: string[] = [];
    let running = 0;
    let most = 0;
    let runs = 0;
    let release: () => void = () => undefined;
    const firstRunHeld = new Promise<void>((resolve) => {
      release = resolve;
    });
    const local = await startLocalHost({
      port: 0,
      routePrefix: 'api',
      functions: [],
      timers: [
        {
          kind: 'timer',
          name: 'slow-timer',
          schedule: '*/1 * * * * *',
          intervalMs: 20,
          handler: async (_invocation: InvocationContext) => {
            runs++;
            running++;
            most = Math.max(most, running);
            if (runs === 1) await firstRunHeld;
            running--;
          },
        },
      ],
      log: (_level, _name, _id, message) => {
        messages.push(message);
      },
    });
    try {
      await waitUntil('a tick skipped', () => messages.some((m) => m.includes('timer skipped')), 10000);
      expect(runs).toBe(1);
      release();
      await waitUntil('a second run', () => runs >= 2, 10000);
      expect(most).toBe(1);
    } finally {
      release();
      await local.close();
    }
  });
});
