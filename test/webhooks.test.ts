// Webhooks through real HTTP: local hosts on one Azurite (tables and queues), a receiver on loopback, the
// development issuer's tokens from the test issuer. Retries are not delayed (0 s) and every wait is on an event:
// a request reaching the receiver or the delivery log saying so.
import { TableClient } from '@azure/data-tables';
import { Webhook } from 'standardwebhooks';
import { MetaFake } from './fakes/meta';
import { connectThroughFlow } from './support/connect';
import { Api, apiClient } from './support/api';
import { expectError, expectOk, TypedClient, typedClient } from './support/client';
import type { operations } from './support/openapi.generated';
import { startTestAzurite, TestAzurite } from './support/azurite';
import { startTestIssuer, TENANT_B, TEST_AUDIENCE, TestIssuer } from './support/issuer';
import { RunningHost, startHost } from './support/localHost';
import {
  ReceivedWebhook,
  signatureIsValid,
  startWebhookReceiver,
  WebhookReceiver,
} from './support/webhookReceiver';

const META_SECRET = 'meta-app-secret-0123456789abcdef';

let issuer: TestIssuer;
let azurite: TestAzurite;
let meta: MetaFake;
let receiver: WebhookReceiver;
let host: RunningHost;
let api: Api;
let apiB: Api;
/** The typed client, generated from the served document: the main flows go through it. */
let client: TypedClient;
let clientB: TypedClient;
const extraHosts: RunningHost[] = [];

function hostEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    AUTH_AUTHORITY: issuer.url,
    AUTH_AUDIENCE: TEST_AUDIENCE,
    TABLES_CONNECTION_STRING: azurite.connectionString,
    LOCAL_SECRETS_KEY: Buffer.alloc(32, 7).toString('base64'),
    WEBHOOK_ALLOW_INSECURE_HOSTS: '127.0.0.1',
    WEBHOOK_RETRY_DELAYS_SECONDS: '0,0',
    ...meta.env(),
    ...extra,
  };
}

async function extraHost(env: Record<string, string> = {}): Promise<RunningHost> {
  const h = await startHost({ env: hostEnv(env) });
  extraHosts.push(h);
  return h;
}

beforeAll(async () => {
  [issuer, azurite, meta, receiver] = await Promise.all([
    startTestIssuer(),
    startTestAzurite({ queue: true }),
    MetaFake.start(),
    startWebhookReceiver(),
  ]);
  meta.addApp({ clientId: '1234567890', clientSecret: META_SECRET });
  host = await startHost({ env: hostEnv() });
  api = apiClient(host.api, await issuer.token());
  apiB = apiClient(host.api, await issuer.token({ tid: TENANT_B }));
  client = typedClient(host.url, await issuer.token());
  clientB = typedClient(host.url, await issuer.token({ tid: TENANT_B }));
}, 60_000);

afterAll(async () => {
  await Promise.all([host?.stop(), ...extraHosts.map((h) => h.stop('SIGKILL'))]);
  await Promise.all([receiver?.close(), meta?.close(), issuer?.close()]);
  await azurite?.close();
});

let pathCounter = 0;

/** A subscription whose deliveries arrive under their own path of the receiver. */
const WEBHOOKS = '/api/v1/connectors/webhooks';
const WEBHOOK = '/api/v1/connectors/webhooks/{id}';
const TEST = '/api/v1/connectors/webhooks/{id}/test';
const at = (id: string) => ({ params: { path: { id } } });
/** An event type as the document names them: a test naming another fails to compile. */
type EventType = NonNullable<
  operations['webhooks-create']['requestBody']['content']['application/json']['events']
>[number];

async function subscribe(events?: EventType[]) {
  const path = `/hook-${++pathCounter}`;
  const res = await client.POST(WEBHOOKS, {
    body: { url: `${receiver.url}${path}`, ...(events ? { events } : {}) },
  });
  const { id, secret } = expectOk(res, 201).data;
  return { id, secret, path, at: (w: ReceivedWebhook) => w.path === path };
}

/** Polls the delivery log until `done` holds for it (the log is the event a test waits for). */
type Delivery =
  operations['webhooks-deliveries']['responses'][200]['content']['application/json']['data'][number];

async function deliveriesWhen(id: string, done: (log: Delivery[]) => boolean): Promise<Delivery[]> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const log = expectOk(await client.GET('/api/v1/connectors/webhooks/{id}/deliveries', at(id))).data;
    if (done(log)) return log;
    if (Date.now() > deadline) throw new Error(`delivery log never matched: ${JSON.stringify(log)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const body = (w: ReceivedWebhook) =>
  JSON.parse(w.body) as { type: string; timestamp: string; data: Record<string, unknown> };

describe('subscriptions', () => {
  it('shows the signing secret once, masked afterwards, and only to its tenant', async () => {
    const created = await client.POST(WEBHOOKS, {
      body: { url: `${receiver.url}/crud`, events: ['configuration.error'], description: 'ops' },
    });
    const { data } = expectOk(created, 201);
    expect(data).toEqual(
      expect.objectContaining({
        url: `${receiver.url}/crud`,
        events: ['configuration.error'],
        description: 'ops',
      }),
    );
    expect(data.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(data.secret.slice(6), 'base64').length).toBeGreaterThanOrEqual(24);
    expect(created.response.headers.get('cache-control')).toBe('no-store');

    const got = expectOk(await client.GET(WEBHOOK, at(data.id)));
    expect(got.data).not.toHaveProperty('secret');
    // The fixed prefix and a mask: no part of the secret is kept in a table to show it.
    expect(got.data.secret_hint).toBe('whsec_********');
    expect(JSON.stringify(got)).not.toContain(data.secret.slice(6, 30));
    const listed = expectOk(await client.GET(WEBHOOKS));
    expect(listed.metadata.count).toBe(listed.data.length);
    const mine = listed.data.find((s) => s.id === data.id);
    expect(mine).toEqual(got.data);
    expect(JSON.stringify(listed)).not.toContain(data.secret.slice(6, 30));

    // Another tenant sees nothing of it.
    for (const [method, path] of [
      ['GET', ''],
      ['POST', '/test'],
      ['GET', '/deliveries'],
      ['DELETE', ''],
    ]) {
      expect((await apiB(method, `/v1/connectors/webhooks/${data.id}${path}`)).status).toBe(404);
    }
    expect(expectOk(await clientB.GET(WEBHOOKS)).data).toEqual([]);

    expect(expectOk(await client.DELETE(WEBHOOK, at(data.id))).data).toEqual({ id: data.id, deleted: true });
    expectError(await client.GET(WEBHOOK, at(data.id)), 404);
    expectError(await client.DELETE(WEBHOOK, at(data.id)), 404);
  });

  it('refuses bad bodies with 400', async () => {
    for (const bad of [
      {},
      { url: `${receiver.url}/x`, events: ['connection.nope'] },
      { url: `${receiver.url}/x`, events: [] },
      { url: `${receiver.url}/x`, extra: 1 },
      { url: `${receiver.url}/x`, description: 5 },
    ]) {
      const res = await api('POST', '/v1/connectors/webhooks', { body: bad });
      expect(res.status).toBe(400);
      expect(res.body.error).toEqual(expect.any(String));
    }
  });

  it.each([
    ['http without being listed', 'http://example.com/hook'],
    ['another scheme', 'ftp://example.com/hook'],
    ['credentials in the URL', 'https://user:pass@example.com/hook'],
    ['loopback', 'https://127.0.0.2/hook'],
    ['loopback (decimal form)', 'https://2130706434/hook'],
    ['loopback (IPv6)', 'https://[::1]/hook'],
    ['loopback by name', 'https://localhost.localdomain./hook'],
    ['private 10/8', 'https://10.0.0.1/hook'],
    ['private 172.16/12', 'https://172.16.5.4/hook'],
    ['private 192.168/16', 'https://192.168.1.1/hook'],
    ['private IPv6', 'https://[fd00::1]/hook'],
    ['carrier-grade NAT', 'https://100.64.0.1/hook'],
    ['link-local', 'https://169.254.10.10/hook'],
    ['link-local IPv6', 'https://[fe80::1]/hook'],
    ['cloud metadata', 'https://169.254.169.254/latest/meta-data'],
    ['Azure platform address', 'https://168.63.129.16/hook'],
    ['IPv4-mapped IPv6 loopback', 'https://[::ffff:127.0.0.2]/hook'],
    ['unspecified', 'https://0.0.0.0/hook'],
  ])('refuses %s with 400', async (_name, url) => {
    const res = await api('POST', '/v1/connectors/webhooks', { body: { url } });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('invalid_url');
  });
});

describe('deliveries', () => {
  it('webhook.test arrives signed (two independent verifiers) and the log says delivered', async () => {
    const sub = await subscribe();
    const ping = expectOk(await client.POST(TEST, at(sub.id)), 202);
    expect(ping.data).toEqual(
      expect.objectContaining({ event: 'webhook.test', status: 'pending', attempts: 0 }),
    );
    const [w] = await receiver.waitFor(1, sub.at);
    expect(w.headers['webhook-id']).toBe(ping.data.id);
    expect(w.headers['content-type']).toBe('application/json');
    expect(Math.abs(Number(w.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(600);
    expect(signatureIsValid(sub.secret, w)).toBe(true);
    expect(signatureIsValid(`whsec_${Buffer.alloc(32).toString('base64')}`, w)).toBe(false);
    expect(new Webhook(sub.secret).verify(w.body, w.headers)).toEqual(
      expect.objectContaining({
        type: 'webhook.test',
        data: expect.objectContaining({ webhook_id: sub.id }),
      }),
    );
    const log = await deliveriesWhen(sub.id, (l) => l[0]?.status === 'delivered');
    expect(log[0]).toEqual(
      expect.objectContaining({
        id: ping.data.id,
        attempts: 1,
        last_status_code: 200,
        next_attempt_at: null,
      }),
    );
  });

  it('configuration.verified and configuration.error come from the verify path, only to subscribers of them', async () => {
    const all = await subscribe();
    const errorsOnly = await subscribe(['configuration.error']);
    const create = async (secret: string) =>
      (
        await api('POST', '/v1/connectors/configs', {
          body: {
            name: 'meta app',
            connector_type: 'meta',
            config: { app_id: '1234567890', app_secret: secret },
          },
        })
      ).body.data.id as string;
    const good = await create(META_SECRET);
    const bad = await create('wrong-secret-000000000000');
    expect((await api('POST', `/v1/connectors/configs/${good}/verify`)).body.data.status).toBe('active');
    expect((await api('POST', `/v1/connectors/configs/${bad}/verify`)).body.data.status).toBe('error');

    const got = await receiver.waitFor(2, all.at);
    const byType = Object.fromEntries(got.map((w) => [body(w).type, w]));
    expect(body(byType['configuration.verified']).data).toEqual({
      configuration_id: good,
      connector_type: 'meta',
      status: 'active',
      previous_status: 'pending_setup',
    });
    expect(body(byType['configuration.error']).data).toEqual(
      expect.objectContaining({
        configuration_id: bad,
        status: 'error',
        previous_status: 'pending_setup',
        error: expect.any(String),
      }),
    );
    for (const w of got) expect(signatureIsValid(all.secret, w)).toBe(true);
    expect(got.map((w) => w.body).join('')).not.toContain('wrong-secret-000000000000');
    expect(got.map((w) => w.body).join('')).not.toContain(META_SECRET);

    const [onlyError] = await receiver.waitFor(1, errorsOnly.at);
    expect(body(onlyError).type).toBe('configuration.error');
    expect(signatureIsValid(errorsOnly.secret, onlyError)).toBe(true);
    await deliveriesWhen(errorsOnly.id, (l) => l.length === 1 && l[0].status === 'delivered');
  });

  it('connection.active from a real OAuth flow and connection.deleted from a delete, signed', async () => {
    const sub = await subscribe(['connection.active', 'connection.deleted']);
    const id = await connectThroughFlow(api, 'meta', { app_id: '1234567890', app_secret: META_SECRET });
    const [active] = await receiver.waitFor(1, sub.at);
    expect(signatureIsValid(sub.secret, active)).toBe(true);
    expect(body(active)).toEqual(
      expect.objectContaining({
        type: 'connection.active',
        data: expect.objectContaining({
          connection_id: id,
          connector_type: 'meta',
          status: 'active',
          previous_status: 'pending',
        }),
      }),
    );
    expect((await api('DELETE', `/v1/connectors/oauth/${id}`)).status).toBe(200);
    const both = await receiver.waitFor(2, sub.at);
    const deleted = both.find((w) => body(w).type === 'connection.deleted') as ReceivedWebhook;
    expect(signatureIsValid(sub.secret, deleted)).toBe(true);
    expect(body(deleted).data).toEqual(
      expect.objectContaining({ connection_id: id, status: 'deleted', previous_status: 'active' }),
    );
    // No token of the connection is in any payload.
    for (const w of both) expect(w.body).not.toMatch(/access_token|refresh_token|EAA/);
    await deliveriesWhen(sub.id, (l) => l.length === 2 && l.every((d) => d.status === 'delivered'));
  });

  it('a tenant without subscriptions enqueues nothing', async () => {
    const created = await apiB('POST', '/v1/connectors/configs', {
      body: {
        name: 'meta b',
        connector_type: 'meta',
        config: { app_id: '1234567890', app_secret: META_SECRET },
      },
    });
    expect((await apiB('POST', `/v1/connectors/configs/${created.body.data.id}/verify`)).status).toBe(200);
    for (const table of ['webhookdeliveries', 'webhookoutbox']) {
      const client = TableClient.fromConnectionString(azurite.connectionString, table, {
        allowInsecureConnection: true,
      });
      const rows = [];
      for await (const e of client.listEntities({
        queryOptions: { filter: `PartitionKey eq '${TENANT_B}'` },
      }))
        rows.push(e);
      expect(rows).toEqual([]);
    }
  });

  it('500 then 200: delivered on the retry, with the same webhook-id', async () => {
    const sub = await subscribe();
    receiver.reply(sub.path, 500);
    const ping = expectOk(await client.POST(TEST, at(sub.id)), 202);
    const both = await receiver.waitFor(2, sub.at);
    expect(both.map((w) => w.headers['webhook-id'])).toEqual([ping.data.id, ping.data.id]);
    for (const w of both) expect(signatureIsValid(sub.secret, w)).toBe(true);
    const [log] = await deliveriesWhen(sub.id, (l) => l[0]?.status === 'delivered');
    expect(log).toEqual(expect.objectContaining({ attempts: 2, last_status_code: 200 }));
  });

  it('a receiver that keeps failing past the last delay: failed after 1 + the number of delays attempts', async () => {
    const sub = await subscribe();
    receiver.reply(sub.path, 503, 503, 503);
    await api('POST', `/v1/connectors/webhooks/${sub.id}/test`);
    const [log] = await deliveriesWhen(sub.id, (l) => l[0]?.status === 'failed');
    expect(log).toEqual(
      expect.objectContaining({ attempts: 3, last_status_code: 503, next_attempt_at: null }),
    );
    expect((await receiver.waitFor(3, sub.at)).length).toBe(3);
  });
});

describe('durability', () => {
  it('a host killed during a delivery: the restarted host delivers it, same webhook-id', async () => {
    // Its own storage, so no other host can take the message.
    const own = await startTestAzurite({ queue: true });
    try {
      // A message being handled is hidden for 2 s at a time (renewed while its attempt runs) and a delivery's
      // lease is 4 s (a 2 s attempt timeout), so the killed host's wake-up comes back within seconds.
      const env = {
        TABLES_CONNECTION_STRING: own.connectionString,
        LOCAL_QUEUE_IN_FLIGHT_SECONDS: '2',
        WEBHOOK_ATTEMPT_TIMEOUT_SECONDS: '2',
      };
      const doomed = await extraHost(env);
      const apiDoomed = apiClient(doomed.api, await issuer.token());
      const created = await apiDoomed('POST', '/v1/connectors/webhooks', {
        body: { url: `${receiver.url}/killed` },
      });
      receiver.reply('/killed', 'hold');
      const ping = await apiDoomed('POST', `/v1/connectors/webhooks/${created.body.data.id}/test`);
      expect(ping.status).toBe(202);
      const at = (w: ReceivedWebhook) => w.path === '/killed';
      const [first] = await receiver.waitFor(1, at);
      await doomed.stop('SIGKILL');
      const restarted = await extraHost(env);
      const both = await receiver.waitFor(2, at);
      expect(both.map((w) => w.headers['webhook-id'])).toEqual([ping.body.data.id, ping.body.data.id]);
      expect(first.headers['webhook-id']).toBe(ping.body.data.id);
      const apiRestarted = apiClient(restarted.api, await issuer.token());
      const deadline = Date.now() + 60_000;
      let log;
      do {
        log = (await apiRestarted('GET', `/v1/connectors/webhooks/${created.body.data.id}/deliveries`)).body
          .data;
        if (log[0]?.status === 'delivered') break;
        await new Promise((r) => setTimeout(r, 200));
      } while (Date.now() < deadline);
      expect(log[0]).toEqual(expect.objectContaining({ id: ping.body.data.id, status: 'delivered' }));
      await restarted.stop();
    } finally {
      await own.close();
    }
  }, 180_000);

  it('two hosts on one Azurite deliver each event once', async () => {
    const second = await extraHost();
    const apiSecond = apiClient(second.api, await issuer.token());
    const sub = await subscribe();
    const pings = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        (i % 2 ? api : apiSecond)('POST', `/v1/connectors/webhooks/${sub.id}/test`),
      ),
    );
    const ids = pings.map((p) => p.body.data.id as string);
    expect(new Set(ids).size).toBe(12);
    await deliveriesWhen(sub.id, (l) => l.length === 12 && l.every((d) => d.status === 'delivered'));
    const got = receiver.received.filter(sub.at).map((w) => w.headers['webhook-id']);
    expect(got.sort()).toEqual([...ids].sort());
    await second.stop();
  }, 180_000);

  it('an unreachable queue fails no change and stops no start; the outbox delivers once it is back', async () => {
    const sub = await subscribe();
    const deadQueue = azurite.connectionString.replace(
      /QueueEndpoint=http:\/\/127\.0\.0\.1:\d+/,
      'QueueEndpoint=http://127.0.0.1:9',
    );
    const cut = await extraHost({ QUEUES_CONNECTION_STRING: deadQueue });
    const apiCut = apiClient(cut.api, await issuer.token());
    const ping = await apiCut('POST', `/v1/connectors/webhooks/${sub.id}/test`);
    expect(ping.status).toBe(202);
    const [pending] = (await apiCut('GET', `/v1/connectors/webhooks/${sub.id}/deliveries`)).body.data;
    expect(pending).toEqual(expect.objectContaining({ status: 'pending', attempts: 0 }));
    await cut.stop();
    // A host with a working queue drains the outbox on its timer (rows older than a second).
    await extraHost({ WEBHOOK_OUTBOX_INTERVAL_SECONDS: '1', WEBHOOK_OUTBOX_GRACE_SECONDS: '1' });
    const [w] = await receiver.waitFor(1, sub.at);
    expect(w.headers['webhook-id']).toBe(ping.body.data.id);
    await deliveriesWhen(sub.id, (l) => l[0]?.status === 'delivered');
  }, 180_000);
});
