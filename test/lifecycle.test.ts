// Connection lifecycle, driven by simulated time: the service runs in this process (the real route table on
// the local host's server, real Azurite, the platform fakes over HTTP), and the sweep is called with the time
// it should believe it is, so months pass in a few calls. Events are observed where the webhooks subscribe
// (onLifecycleEvent). Each connection's reconnect_by comes from what its platform said.
import { InvocationContext } from '@azure/functions';
import { randomUUID } from 'node:crypto';
import { LifecycleEvent, onLifecycleEvent } from '../src/events/lifecycle';
import { resetSettings } from '../src/settings';
import { loadConnection } from '../src/services/connectionRecords';
import { sweepConnections, SweepReport } from '../src/services/sweep';
import { freshToken } from '../src/services/tokenLifecycle';
import { ConnectionRecord, connections } from '../src/stores/connectionStore';
import { startLocalHost, LocalHost } from '../host/server';
import { GoogleFake, MetaFake, TikTokFake } from './fakes';
import { Api, apiClient } from './support/api';
import { startTestAzurite, TestAzurite } from './support/azurite';
import { startTestIssuer, TENANT_A, TEST_AUDIENCE, TestIssuer } from './support/issuer';
import { startHost } from './support/localHost';
import { followAuthorization } from './support/oauthFlow';

const DAY = 86_400_000;
const META_APP = { clientId: '5550001111', clientSecret: 'meta-lifecycle-secret-0123' };
const TIKTOK_APP = { clientId: 'ttlifecycle1', clientSecret: 'tt-lifecycle-secret-0123456789' };
const GOOGLE_APP = {
  clientId: 'lifecycle.apps.googleusercontent.com',
  clientSecret: 'google-lifecycle-secret-0123',
};
/** The Meta fake's clock stands still at this second, so the grant's end it reports is exact. */
const META_NOW = Date.parse('2026-12-02T06:00:00Z');
const META_LONG_LIVED_S = 5_184_000;

let azurite: TestAzurite;
let issuer: TestIssuer;
let meta: MetaFake;
let tiktok: TikTokFake;
let google: GoogleFake;
let host: LocalHost;
let api: Api;
const events: LifecycleEvent[] = [];
let stopListening: () => void;
const ids: Record<'meta' | 'tiktok' | 'youtube', string> = { meta: '', tiktok: '', youtube: '' };

const invocation = () => new InvocationContext({ functionName: 'connections-sweep', logHandler: () => {} });
const sweepAt = (now: number): Promise<SweepReport> => sweepConnections(invocation(), now);
const connection = async (id: string) => (await api('GET', `/v1/connectors/oauth/${id}`)).body.data;
const eventsOf = (id: string, type?: string) =>
  events.filter((e) => e.data.connection_id === id && (type === undefined || e.type === type));

async function connect(type: string): Promise<string> {
  const created = await api('POST', '/v1/connectors/oauth', { body: { connector_type: type } });
  expect(created.status).toBe(201);
  const flow = await followAuthorization(created.body.data.authorization_url);
  expect(flow.callbackStatus).toBe(200);
  return created.body.data.id;
}

beforeAll(async () => {
  [azurite, issuer] = await Promise.all([startTestAzurite(), startTestIssuer()]);
  meta = await MetaFake.start({ clock: () => META_NOW });
  tiktok = await TikTokFake.start();
  google = await GoogleFake.start();
  meta.addApp(META_APP);
  tiktok.addApp(TIKTOK_APP);
  google.addApp(GOOGLE_APP);
  Object.assign(process.env, {
    AUTH_AUTHORITY: issuer.url,
    AUTH_AUDIENCE: TEST_AUDIENCE,
    TABLES_CONNECTION_STRING: azurite.connectionString,
    LOCAL_SECRETS_KEY: Buffer.alloc(32, 7).toString('base64'),
    ...meta.env(),
    ...tiktok.env(),
    ...google.env(),
    CONNECTOR_META_CLIENT_ID: META_APP.clientId,
    CONNECTOR_META_CLIENT_SECRET: META_APP.clientSecret,
    CONNECTOR_TIKTOK_CLIENT_ID: TIKTOK_APP.clientId,
    CONNECTOR_TIKTOK_CLIENT_SECRET: TIKTOK_APP.clientSecret,
    CONNECTOR_YOUTUBE_CLIENT_ID: GOOGLE_APP.clientId,
    CONNECTOR_YOUTUBE_CLIENT_SECRET: GOOGLE_APP.clientSecret,
  });
  resetSettings();
  // The route table reads settings on first use, so it is loaded once the environment is complete.
  const routes = (await import('../functions/routes')) as typeof import('../functions/routes');
  host = await startLocalHost({
    port: 0,
    routePrefix: 'api',
    functions: routes.httpFunctions,
    log: () => undefined,
  });
  process.env.PUBLIC_BASE_URL = `http://127.0.0.1:${host.port}`;
  resetSettings();
  api = apiClient(`http://127.0.0.1:${host.port}/api`, await issuer.token());
  stopListening = onLifecycleEvent(async (e) => {
    events.push(e);
  });
  // In this order, so each one's week-before-the-end comes after the one before it.
  ids.meta = await connect('meta');
  ids.tiktok = await connect('tiktok');
  ids.youtube = await connect('youtube');
}, 60000);

afterAll(async () => {
  stopListening?.();
  await host?.close();
  await Promise.all([meta?.close(), tiktok?.close(), google?.close(), issuer?.close()]);
  await azurite?.close();
});

describe('reconnect_by and the lifecycle events', () => {
  it("takes a Meta connection's reconnect_by from debug_token, and announces each connection active once", async () => {
    const expected = new Date(META_NOW - (META_NOW % 1000) + META_LONG_LIVED_S * 1000).toISOString();
    expect((await connection(ids.meta)).reconnect_by).toBe(expected);
    for (const id of Object.values(ids)) {
      expect(eventsOf(id, 'connection.active')).toHaveLength(1);
      expect(eventsOf(id)[0].data).toEqual(
        expect.objectContaining({ connection_id: id, status: 'active', previous_status: 'pending' }),
      );
    }
    expect(eventsOf(ids.meta)[0].data.reconnect_by).toBe(expected);
  });

  it('says when the refresh token ends (TikTok) and when six months without use end (Google)', async () => {
    const now = Date.now();
    const tiktokEnd = Date.parse((await connection(ids.tiktok)).reconnect_by);
    const youtubeEnd = Date.parse((await connection(ids.youtube)).reconnect_by);
    // TikTok's refresh tokens live 180 days; Google drops one unused for 180 days.
    expect(Math.abs(tiktokEnd - (now + 180 * DAY))).toBeLessThan(DAY);
    expect(Math.abs(youtubeEnd - (now + 180 * DAY))).toBeLessThan(DAY);
  });

  it('lists the connections that need the user before a time; anything but an ISO time is a 400', async () => {
    const metaEnd = (await connection(ids.meta)).reconnect_by as string;
    const soon = await api(
      'GET',
      `/v1/connectors/oauth?reconnect_before=${encodeURIComponent(new Date(Date.parse(metaEnd) + 1000).toISOString())}`,
    );
    expect(soon.status).toBe(200);
    expect(soon.body.data.map((c: { id: string }) => c.id)).toEqual([ids.meta]);
    const none = await api('GET', `/v1/connectors/oauth?reconnect_before=${encodeURIComponent(metaEnd)}`);
    expect(none.body.data).toEqual([]);
    for (const bad of ['tomorrow', '2027-13-45T00:00:00Z', '1700000000', '']) {
      const res = await api('GET', `/v1/connectors/oauth?reconnect_before=${encodeURIComponent(bad)}`);
      expect(res.status).toBe(400);
      expect(res.body.error).toMatch(/reconnect_before/);
    }
  });
});

describe('the sweep', () => {
  it('gives connections written before reconnect_by their end from the record, and indexes them', async () => {
    // As an older version wrote it: an active LinkedIn connection without refresh token, no end, no due time.
    const now = Date.now();
    const legacy: ConnectionRecord = {
      tenantId: TENANT_A,
      id: randomUUID(),
      connectorType: 'linkedin',
      name: 'written before reconnect_by',
      status: 'active',
      scopes: ['r_ads'],
      expiresAt: new Date(now + 30 * DAY).toISOString(),
      lastRefreshedAt: new Date(now - 30 * DAY).toISOString(),
      createdAt: new Date(now - 30 * DAY).toISOString(),
      updatedAt: new Date(now - 30 * DAY).toISOString(),
    };
    await connections.insert(legacy);
    expect((await connection(legacy.id)).reconnect_by).toBeNull();
    await sweepAt(now);
    expect((await connection(legacy.id)).reconnect_by).toBe(legacy.expiresAt);
    // Indexed: announced a week before that end.
    await sweepAt(Date.parse(legacy.expiresAt as string) - 7 * DAY);
    expect(eventsOf(legacy.id, 'connection.reconnect_needed')).toHaveLength(1);
    expect((await api('DELETE', `/v1/connectors/oauth/${legacy.id}`)).status).toBe(200);
  });

  it('leaves an idle Google connection alone for a simulated day: no platform call, one read per run', async () => {
    const refreshes = google.stats.refreshes;
    const start = Date.now();
    for (let t = start; t <= start + DAY; t += 15 * 60_000) {
      const report = await sweepAt(t);
      expect(report).toEqual(
        // The one read: the finished backfill's marker.
        expect.objectContaining({ due: 0, entitiesRead: 1, platformCalls: 0, renewed: 0, failed: 0 }),
      );
    }
    expect(google.stats.refreshes).toBe(refreshes);
    expect((await connection(ids.youtube)).status).toBe('active');
  }, 120000);

  it("announces a Meta grant's end once, 7 days before, and marks it expired at reconnect_by, not before", async () => {
    const end = Date.parse((await connection(ids.meta)).reconnect_by);
    const metaRefreshes = meta.stats.refreshes;

    expect(await sweepAt(end - 7 * DAY - 1000)).toEqual(expect.objectContaining({ due: 0, noticed: 0 }));
    expect(eventsOf(ids.meta, 'connection.reconnect_needed')).toHaveLength(0);

    expect(await sweepAt(end - 7 * DAY)).toEqual(
      expect.objectContaining({ due: 1, noticed: 1, platformCalls: 0 }),
    );
    expect(await sweepAt(end - 6 * DAY)).toEqual(expect.objectContaining({ due: 0, noticed: 0 }));
    const notices = eventsOf(ids.meta, 'connection.reconnect_needed');
    expect(notices).toHaveLength(1);
    expect(notices[0].data).toEqual(
      expect.objectContaining({ status: 'active', reconnect_by: new Date(end).toISOString() }),
    );

    expect(await sweepAt(end - 1)).toEqual(expect.objectContaining({ due: 0, expired: 0 }));
    expect((await connection(ids.meta)).status).toBe('active');
    expect(eventsOf(ids.meta, 'connection.expired')).toHaveLength(0);

    expect(await sweepAt(end)).toEqual(expect.objectContaining({ due: 1, expired: 1, platformCalls: 0 }));
    const expired = await connection(ids.meta);
    expect(expired.status).toBe('expired');
    expect(expired.last_error).toMatch(/reconnect/i);
    const lapsed = eventsOf(ids.meta, 'connection.expired');
    expect(lapsed).toHaveLength(1);
    expect(lapsed[0].data).toEqual(expect.objectContaining({ status: 'expired', previous_status: 'active' }));
    // Meta was never asked to "renew" the long-lived token: it cannot be extended.
    expect(meta.stats.refreshes).toBe(metaRefreshes);
    expect(await sweepAt(end + DAY)).toEqual(expect.objectContaining({ due: 0, expired: 0 }));
  });

  it('renews a TikTok rotating grant in the week before its refresh token ends, which extends it', async () => {
    const before = await connection(ids.tiktok);
    const end = Date.parse(before.reconnect_by);
    const refreshes = tiktok.stats.refreshes;
    expect(await sweepAt(end - 7 * DAY - 1000)).toEqual(
      expect.objectContaining({ due: 0, platformCalls: 0 }),
    );
    expect(tiktok.stats.refreshes).toBe(refreshes);

    const report = await sweepAt(end - 7 * DAY);
    expect(report).toEqual(expect.objectContaining({ due: 1, renewed: 1, platformCalls: 1, failed: 0 }));
    expect(tiktok.stats.refreshes).toBe(refreshes + 1);
    const after = await connection(ids.tiktok);
    expect(after.status).toBe('active');
    expect(Date.parse(after.reconnect_by)).toBeGreaterThan(end);
    expect(eventsOf(ids.tiktok, 'connection.reconnect_needed')).toHaveLength(0);
  });

  it('renews an idle Google grant in the week before six months without use end', async () => {
    const before = await connection(ids.youtube);
    const end = Date.parse(before.reconnect_by);
    const refreshes = google.stats.refreshes;
    const report = await sweepAt(end - 7 * DAY);
    expect(report).toEqual(expect.objectContaining({ renewed: 1, platformCalls: 1, failed: 0 }));
    expect(google.stats.refreshes).toBe(refreshes + 1);
    expect(Date.parse((await connection(ids.youtube)).reconnect_by)).toBeGreaterThan(end);
  });

  it('a revoked grant found on use is announced once; a deleted connection too', async () => {
    tiktok.revokeAllGrants();
    const refreshed = await api('POST', `/v1/connectors/oauth/${ids.tiktok}/refresh`);
    expect(refreshed.status).toBe(409);
    expect(eventsOf(ids.tiktok, 'connection.expired')).toHaveLength(1);
    expect((await api('DELETE', `/v1/connectors/oauth/${ids.tiktok}`)).status).toBe(200);
    const deleted = eventsOf(ids.tiktok, 'connection.deleted');
    expect(deleted).toHaveLength(1);
    expect(deleted[0].data).toEqual(
      expect.objectContaining({ status: 'deleted', previous_status: 'expired' }),
    );
    expect(events.every((e) => !JSON.stringify(e).includes('access_token'))).toBe(true);
  });
});

describe('a renewal on another instance while a request here holds the record', () => {
  it('the request gets the renewed tokens, not a 409 for the version the renewal removed', async () => {
    // Another instance of the service: its own process, on the same storage and secret store.
    const other = await startHost({ env: { ...process.env, PORT: '0' } as Record<string, string> });
    try {
      const otherApi = apiClient(other.api, await issuer.token());
      // It renews the connection: a token version this process never read, then the record names it ...
      expect((await otherApi('POST', `/v1/connectors/oauth/${ids.youtube}/refresh`)).status).toBe(200);
      const held = await loadConnection(TENANT_A, ids.youtube);
      // ... and renews it again, writing a newer version and pruning that one.
      expect((await otherApi('POST', `/v1/connectors/oauth/${ids.youtube}/refresh`)).status).toBe(200);
      const current = await loadConnection(TENANT_A, ids.youtube);
      expect(current.value.secretVersion).not.toBe(held.value.secretVersion);
      // A request here read the record between the two: the version it names is gone.
      const fresh = await freshToken(TENANT_A, ids.youtube, { current: held });
      expect(fresh.record.secretVersion).toBe(current.value.secretVersion);
      expect(fresh.tokens.access_token).toEqual(expect.any(String));
      const tested = await api('POST', `/v1/connectors/oauth/${ids.youtube}/test`);
      expect(tested.status).toBe(200);
    } finally {
      await other.stop();
    }
  });
});
