// Webhook deliveries, durable on an Azure Storage queue. A delivery row in Table Storage is the truth (status,
// attempts, the exact body); a queue message only wakes it up. Whoever wakes a delivery claims it under the
// row's ETag before the attempt, so two instances never make the same attempt, and a wake-up that arrives
// twice (a crash, the outbox sending again) finds the delivery already moved on and does nothing.
//
// Every message the service means to send is first written to the outbox table and removed once the queue has
// it, so a queue that cannot be reached loses nothing: `drainWebhookOutbox` (a timer) sends what is left.
import { randomBytes } from 'node:crypto';
import { LifecycleEvent, LifecycleEventType } from '../events/lifecycle';
import { secretStore } from '../secrets';
import { settings } from '../settings';
import { sendMessage } from '../stores/queues';
import { EtagMismatchError, Stored } from '../stores/recordTable';
import { tablesSdk, tableErrorStatus } from '../stores/tables';
import {
  deliveries,
  DeliveryRecord,
  deliveryKey,
  outbox,
  OutboxRecord,
  subscriptions,
  SubscriptionRecord,
} from '../stores/webhookStore';
import { AddressPolicy } from '../webhooks/addressPolicy';
import { attemptDelivery, AttemptResult, attemptTimeoutMs } from '../webhooks/sender';
import { signedHeaders } from '../webhooks/signature';

export const WEBHOOK_QUEUE = 'webhook-deliveries';

/** What a queue message carries: which delivery to wake, and how many attempts it should have behind it. */
export interface WakeUp {
  tenantId: string;
  deliveryKey: string;
  attempt: number;
}

/**
 * Longer than one attempt can take (its timeout, and as much again up to 15 s), so a live attempt is never taken
 * over; a crashed one is after this. 30 s with the default attempt timeout.
 */
const leaseMs = () => {
  const attempt = attemptTimeoutMs();
  return attempt + Math.min(attempt, 15_000);
};

const DEFAULT_OUTBOX_GRACE_SECONDS = 15;

/**
 * How old an outbox row must be before the drain sends it: younger ones are still being sent by their writer.
 * WEBHOOK_OUTBOX_GRACE_SECONDS when a positive number, else 15 s.
 */
export function outboxGraceMs(raw: string | undefined = process.env.WEBHOOK_OUTBOX_GRACE_SECONDS): number {
  const seconds = raw === undefined || raw.trim() === '' ? NaN : Number(raw);
  return (Number.isFinite(seconds) && seconds > 0 ? seconds : DEFAULT_OUTBOX_GRACE_SECONDS) * 1000;
}

export const signingSecretRef = (tenantId: string, subscriptionId: string) =>
  ({ tenantId, kind: 'webhook', id: subscriptionId }) as const;

/** The address policy of the settings, kept as one object so the delivery pool is built once. */
let policy: { key: string; value: AddressPolicy } | undefined;
export function addressPolicy(): AddressPolicy {
  const hosts = settings().webhooks.allowInsecureHosts;
  const key = hosts.join(',');
  if (policy?.key !== key) policy = { key, value: { allowInsecureHosts: hosts } };
  return policy.value;
}

/** `msg_` + a time that sorts newest first + randomness: a subscription's deliveries list newest first. */
function newDeliveryId(now: number): string {
  return `msg_${String(9_999_999_999_999 - now).padStart(13, '0')}${randomBytes(10).toString('hex')}`;
}

export interface DeliveryLog {
  info(message: string): void;
  warn(message: string): void;
}

const quiet: DeliveryLog = { info: () => undefined, warn: () => undefined };

const describe = (err: unknown) => (err instanceof Error ? err.name : 'error');

/** Sends the wake-up and removes its outbox row; false when the queue could not take it (the row stays). */
async function dispatch(row: OutboxRecord, log: DeliveryLog, etag?: string): Promise<boolean> {
  const wake: WakeUp = { tenantId: row.tenantId, deliveryKey: row.deliveryKey, attempt: row.attempt };
  try {
    await sendMessage(WEBHOOK_QUEUE, wake, (Date.parse(row.visibleAt) - Date.now()) / 1000);
  } catch (err) {
    log.warn(
      JSON.stringify({ event: 'webhook_enqueue_failed', delivery: row.deliveryKey, error: describe(err) }),
    );
    return false;
  }
  await outbox.delete(row.tenantId, row.key, etag).catch(() => undefined);
  return true;
}

/** Writes the intent to wake `key` for `attempt` after `delaySeconds`; the row is what the drain sends. */
async function intend(tenantId: string, key: string, attempt: number, delaySeconds: number) {
  const now = Date.now();
  const row: OutboxRecord = {
    tenantId,
    key: `${key}_${attempt}`,
    deliveryKey: key,
    attempt,
    visibleAt: new Date(now + delaySeconds * 1000).toISOString(),
    createdAt: new Date(now).toISOString(),
  };
  try {
    await outbox.insert(row);
  } catch (err) {
    // 409: the same wake-up is already intended, which is as good.
    if (tableErrorStatus(err) !== 409) throw err;
  }
  return row;
}

/** Creates one delivery of `body` to a subscription and wakes it now. */
async function createDelivery(
  sub: SubscriptionRecord,
  event: string,
  body: string,
  log: DeliveryLog,
): Promise<DeliveryRecord> {
  const now = Date.now();
  const id = newDeliveryId(now);
  const record: DeliveryRecord = {
    tenantId: sub.tenantId,
    key: deliveryKey(sub.id, id),
    subscriptionId: sub.id,
    id,
    event,
    body,
    status: 'pending',
    attempts: 0,
    nextAttemptAt: new Date(now).toISOString(),
    createdAt: new Date(now).toISOString(),
    updatedAt: new Date(now).toISOString(),
  };
  await deliveries.insert(record);
  const row = await intend(record.tenantId, record.key, 0, 0).catch((err: unknown) => {
    log.warn(JSON.stringify({ event: 'webhook_outbox_failed', delivery: record.key, error: describe(err) }));
    return undefined;
  });
  if (row) await dispatch(row, log);
  return record;
}

/** The JSON body of an event: no token or secret is ever in `data` (the lifecycle event carries none). */
export function eventBody(type: LifecycleEventType, timestamp: string, data: object): string {
  return JSON.stringify({ type, timestamp, data });
}

async function subscriptionsOf(tenantId: string): Promise<SubscriptionRecord[]> {
  const { odata } = await tablesSdk();
  const found: SubscriptionRecord[] = [];
  for await (const { value } of subscriptions.all(odata`PartitionKey eq ${tenantId}`)) found.push(value);
  return found;
}

/**
 * The lifecycle listener: one delivery per subscription of the event's tenant that takes its type. A tenant
 * without subscriptions costs one table query and enqueues nothing.
 */
export async function recordLifecycleEvent(event: LifecycleEvent, log: DeliveryLog = quiet): Promise<void> {
  if (event.type === 'webhook.test') return; // sent to one subscription by its test route, not fanned out
  const body = eventBody(event.type, event.timestamp, event.data);
  const targets = (await subscriptionsOf(event.tenantId)).filter(
    (s) => !s.events || s.events.includes(event.type),
  );
  await Promise.all(targets.map((s) => createDelivery(s, event.type, body, log)));
}

/** A `webhook.test` delivery to one subscription. */
export function sendTestEvent(sub: SubscriptionRecord, log: DeliveryLog = quiet): Promise<DeliveryRecord> {
  const timestamp = new Date().toISOString();
  return createDelivery(
    sub,
    'webhook.test',
    eventBody('webhook.test', timestamp, { webhook_id: sub.id, status: 'test' }),
    log,
  );
}

function isWakeUp(value: unknown): value is WakeUp {
  const v = value as Partial<WakeUp> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.tenantId === 'string' &&
    typeof v.deliveryKey === 'string' &&
    typeof v.attempt === 'number'
  );
}

export type WakeOutcome = 'delivered' | 'retrying' | 'failed' | 'stale' | 'busy';

/** Takes the delivery for one attempt under its ETag; undefined when it is not this wake-up's to make. */
async function claim(
  wake: WakeUp,
  log: DeliveryLog,
): Promise<{ claimed?: Stored<DeliveryRecord>; outcome?: WakeOutcome }> {
  for (;;) {
    const stored = await deliveries.read(wake.tenantId, wake.deliveryKey);
    if (!stored) return { outcome: 'stale' };
    const d = stored.value;
    // Done, or already past the attempt this wake-up was sent for: a duplicate.
    if (d.status !== 'pending' || d.attempts > wake.attempt) return { outcome: 'stale' };
    const leaseLeft = d.leaseUntil ? Date.parse(d.leaseUntil) - Date.now() : 0;
    if (leaseLeft > 0) {
      // Another instance is making this attempt; look again when its lease ends, in case it crashed.
      const row = await intend(d.tenantId, d.key, wake.attempt, Math.ceil(leaseLeft / 1000) + 1);
      if (!(await dispatch(row, log))) throw new Error('The webhook queue did not take a wake-up.');
      return { outcome: 'busy' };
    }
    const now = new Date().toISOString();
    try {
      const leased = { ...d, leaseUntil: new Date(Date.now() + leaseMs()).toISOString(), updatedAt: now };
      return { claimed: { value: leased, etag: await deliveries.replace(leased, stored.etag) } };
    } catch (err) {
      if (!(err instanceof EtagMismatchError)) throw err;
      // Someone else changed it first: read again and decide on what is there now.
    }
  }
}

async function attempt(d: DeliveryRecord): Promise<AttemptResult | 'gone'> {
  const sub = await subscriptions.read(d.tenantId, d.subscriptionId);
  if (!sub) return 'gone';
  const bundle = await secretStore().get(
    signingSecretRef(d.tenantId, d.subscriptionId),
    sub.value.secretVersion,
  );
  if (!bundle?.secret) return 'gone';
  const headers = signedHeaders(bundle.secret, d.id, new Date(), d.body);
  return attemptDelivery(sub.value.url, headers, d.body, addressPolicy());
}

/**
 * The queue trigger: wakes one delivery, makes one attempt when it is this wake-up's to make, and records the
 * outcome: delivered, a retry after the next of WEBHOOK_RETRY_DELAYS_SECONDS (a new wake-up, hidden that long),
 * or failed after the last. Throws only when storage fails, so the host retries the message (and, after
 * maxDequeueCount, moves it to the poison queue).
 */
export async function wakeDelivery(message: unknown, log: DeliveryLog = quiet): Promise<WakeOutcome> {
  if (!isWakeUp(message)) {
    log.warn(JSON.stringify({ event: 'webhook_message_malformed' }));
    return 'stale';
  }
  const { claimed, outcome } = await claim(message, log);
  if (!claimed) return outcome ?? 'stale';
  const d = claimed.value;
  const result = await attempt(d);
  const attempts = d.attempts + 1;
  const delays = settings().webhooks.retryDelaysSeconds;
  const now = new Date().toISOString();
  const done = result === 'gone' || result.delivered || attempts > delays.length;
  const next: DeliveryRecord = {
    ...d,
    attempts,
    status: result !== 'gone' && result.delivered ? 'delivered' : done ? 'failed' : 'pending',
    lastStatusCode: result === 'gone' ? d.lastStatusCode : result.statusCode,
    leaseUntil: undefined,
    nextAttemptAt: done ? undefined : new Date(Date.now() + delays[attempts - 1] * 1000).toISOString(),
    updatedAt: now,
  };
  // The next wake-up is written down before the outcome, so a crash in between cannot lose the retry.
  const retry = done ? undefined : await intend(d.tenantId, d.key, attempts, delays[attempts - 1]);
  try {
    await deliveries.replace(next, claimed.etag);
  } catch (err) {
    // The lease ran out and another instance took the delivery over: its outcome stands.
    if (err instanceof EtagMismatchError) return 'stale';
    throw err;
  }
  log.info(
    JSON.stringify({
      event: 'webhook_attempt',
      delivery: d.id,
      subscription: d.subscriptionId,
      type: d.event,
      attempt: attempts,
      status: next.status,
      status_code: next.lastStatusCode ?? null,
      reason: result === 'gone' ? 'subscription_deleted' : (result.reason ?? null),
    }),
  );
  if (retry) await dispatch(retry, log);
  return next.status === 'pending' ? 'retrying' : next.status;
}

/** Sends the wake-ups whose writer could not (the queue was unreachable, or the writer stopped). */
export async function drainWebhookOutbox(log: DeliveryLog = quiet): Promise<{ sent: number; left: number }> {
  const { odata } = await tablesSdk();
  const cutoff = new Date(Date.now() - outboxGraceMs()).toISOString();
  const result = { sent: 0, left: 0 };
  for await (const { value, etag } of outbox.all(odata`createdAt lt ${cutoff}`)) {
    if (await dispatch(value, log, etag)) result.sent++;
    else result.left++;
  }
  if (result.sent + result.left > 0) log.info(JSON.stringify({ event: 'webhook_outbox', ...result }));
  return result;
}

const DEFAULT_OUTBOX_INTERVAL_SECONDS = 300;

/** WEBHOOK_OUTBOX_INTERVAL_SECONDS (the local host's drain interval) when a positive number, else 5 minutes. */
export function outboxIntervalMs(
  raw: string | undefined = process.env.WEBHOOK_OUTBOX_INTERVAL_SECONDS,
): number {
  const seconds = raw === undefined || raw.trim() === '' ? NaN : Number(raw);
  return (Number.isFinite(seconds) && seconds > 0 ? seconds : DEFAULT_OUTBOX_INTERVAL_SECONDS) * 1000;
}
