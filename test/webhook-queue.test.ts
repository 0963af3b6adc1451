// In this process, on a real Azurite (tables and queues): every lifecycle event type emitted through
// src/events/lifecycle.ts reaches a subscriber signed, through the queue and the local host's queue trigger;
// and the trigger runs as the Functions host does (a failing message is retried, then moved to the poison queue).
import { InvocationContext } from '@azure/functions';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { queueOptionsOf, QueueRunner, startQueueTriggers } from '../host/queues';
import { startTestAzurite, TestAzurite } from './support/azurite';
import { signatureIsValid, startWebhookReceiver, WebhookReceiver } from './support/webhookReceiver';

const TENANT = '33333333-3333-4333-8333-333333333333';
const saved = { ...process.env };
let azurite: TestAzurite;
let receiver: WebhookReceiver;
let dataDir: string;
let runner: QueueRunner | undefined;
const lines: string[] = [];
const log = (_level: string, fn: string, _id: string, message: string) => lines.push(`${fn} ${message}`);

beforeAll(async () => {
  [azurite, receiver] = await Promise.all([startTestAzurite({ queue: true }), startWebhookReceiver()]);
  dataDir = mkdtempSync(join(tmpdir(), 'st-webhook-queue-'));
  Object.assign(process.env, {
    TABLES_CONNECTION_STRING: azurite.connectionString,
    DATA_DIR: dataDir,
    LOCAL_SECRETS_KEY: Buffer.alloc(32, 9).toString('base64'),
    WEBHOOK_ALLOW_INSECURE_HOSTS: '127.0.0.1',
    WEBHOOK_RETRY_DELAYS_SECONDS: '1',
  });
  (await import('../src/settings')).resetSettings();
});

afterAll(async () => {
  await runner?.close();
  await Promise.all([receiver?.close(), azurite?.close()]);
  rmSync(dataDir, { recursive: true, force: true });
  process.env = saved;
});

const options = { ...queueOptionsOf({}), maxPollingInterval: 200 };

it('every lifecycle event type reaches a subscriber, signed, once', async () => {
  const routes = await import('../functions/routes'); // registers the webhook listener
  const { emitLifecycleEvent, LIFECYCLE_EVENT_TYPES } = await import('../src/events/lifecycle');
  const { createSubscription } = await import('../src/services/webhooks');
  runner = startQueueTriggers(
    routes.functions.filter((f) => f.kind === 'queue'),
    options,
    log,
  );
  const sub = await createSubscription(TENANT, { url: `${receiver.url}/all` });
  const types = LIFECYCLE_EVENT_TYPES.filter((t) => t !== 'webhook.test');
  for (const type of types) {
    const isConfiguration = type.startsWith('configuration.');
    await emitLifecycleEvent({
      tenantId: TENANT,
      type,
      timestamp: new Date().toISOString(),
      data: {
        ...(isConfiguration
          ? { configuration_id: 'c0ffee00-0000-4000-8000-000000000001' }
          : { connection_id: 'c0ffee00-0000-4000-8000-000000000002' }),
        connector_type: 'meta',
        status: type.split('.')[1],
        previous_status: 'active',
        ...(type === 'connection.reconnect_needed' ? { reconnect_by: '2027-01-01T00:00:00.000Z' } : {}),
      },
    });
  }
  // Another tenant's event goes nowhere near this subscriber.
  await emitLifecycleEvent({
    tenantId: 'another-tenant',
    type: 'connection.active',
    timestamp: new Date().toISOString(),
    data: { connection_id: 'x', connector_type: 'meta', status: 'active', previous_status: 'pending' },
  });
  const got = await receiver.waitFor(types.length);
  const received = got.map(
    (w) =>
      new Webhook(sub.secret).verify(w.body, w.headers) as { type: string; data: Record<string, unknown> },
  );
  expect(received.map((r) => r.type).sort()).toEqual([...types].sort());
  for (const w of got) expect(signatureIsValid(sub.secret, w)).toBe(true);
  expect(new Set(got.map((w) => w.headers['webhook-id'])).size).toBe(types.length);
  const reconnect = received.find((r) => r.type === 'connection.reconnect_needed');
  expect(reconnect?.data).toEqual(
    expect.objectContaining({ reconnect_by: '2027-01-01T00:00:00.000Z', status: 'reconnect_needed' }),
  );
  await runner.close();
  runner = undefined;
}, 120_000);

it('a message whose function keeps failing is retried maxDequeueCount times, then moved to <queue>-poison', async () => {
  const { sendMessage, queueClient } = await import('../src/stores/queues');
  const seen: Array<{ message: unknown; dequeueCount: unknown }> = [];
  let failed = 0;
  const failing = {
    kind: 'queue' as const,
    name: 'always-fails',
    queueName: 'always-fails',
    connection: 'QUEUES',
    handler: async (message: unknown, invocation: InvocationContext) => {
      seen.push({ message, dequeueCount: invocation.triggerMetadata?.dequeueCount });
      failed++;
      throw new Error('no');
    },
  };
  const succeeding = {
    ...failing,
    name: 'succeeds',
    queueName: 'succeeds',
    handler: async (m: unknown) => void seen.push({ message: m, dequeueCount: 0 }),
  };
  runner = startQueueTriggers(
    [failing, succeeding],
    { ...options, maxDequeueCount: 3, visibilityTimeout: 0 },
    log,
  );
  await sendMessage('always-fails', { n: 1 });
  await sendMessage('succeeds', { n: 2 });
  const poison = await queueClient('always-fails-poison');
  const deadline = Date.now() + 60_000;
  let poisoned: string[] = [];
  while (poisoned.length === 0 && Date.now() < deadline) {
    poisoned = (await poison.peekMessages()).peekedMessageItems.map((m) => m.messageText);
    if (poisoned.length === 0) await new Promise((r) => setTimeout(r, 100));
  }
  expect(poisoned.map((t) => JSON.parse(Buffer.from(t, 'base64').toString('utf8')) as unknown)).toEqual([
    { n: 1 },
  ]);
  expect(failed).toBe(3);
  expect(seen.filter((s) => JSON.stringify(s.message) === '{"n":1}').map((s) => s.dequeueCount)).toEqual([
    1, 2, 3,
  ]);
  expect(seen).toContainEqual({ message: { n: 2 }, dequeueCount: 0 });
  expect((await (await queueClient('always-fails')).peekMessages()).peekedMessageItems).toEqual([]);
  expect(lines.some((l) => /always-fails-poison/.test(l))).toBe(true);
}, 120_000);
