// Webhook subscriptions of a tenant: the URL (checked against the address policy), the events it takes, and
// a signing secret that lives in the secret store and is shown once, when the subscription is created.
import { randomUUID } from 'node:crypto';
import { LIFECYCLE_EVENT_TYPES } from '../events/lifecycle';
import { WebhookInput } from '../openapi/webhooks';
import { secretStore } from '../secrets';
import { InsertFailedError } from '../stores/recordTable';
import { tablesSdk } from '../stores/tables';
import { deliveries, DeliveryRecord, subscriptions, SubscriptionRecord } from '../stores/webhookStore';
import { checkWebhookUrl, HostLookup, RefusedUrlError } from '../webhooks/addressPolicy';
import { newSigningSecret, SECRET_PREFIX } from '../webhooks/signature';
import { MASK } from './masking';
import { isRecordId } from './records';
import { addressPolicy, DeliveryLog, sendTestEvent, signingSecretRef } from './webhookDeliveries';
import { conflict, invalid, notFound } from '../shared/errors';

export interface SubscriptionView {
  id: string;
  url: string;
  events: string[];
  description: string | null;
  secret_hint: string;
  created_at: string;
}

export interface DeliveryView {
  id: string;
  event: string;
  status: string;
  attempts: number;
  last_status_code: number | null;
  next_attempt_at: string | null;
  created_at: string;
}

/** At most this many subscriptions per tenant: each event is one delivery per subscription. */
const MAX_SUBSCRIPTIONS = 20;
const ALL_EVENTS: readonly string[] = LIFECYCLE_EVENT_TYPES;

const subscriptionView = (r: SubscriptionRecord): SubscriptionView => ({
  id: r.id,
  url: r.url,
  events: r.events ?? [...ALL_EVENTS],
  description: r.description ?? null,
  secret_hint: r.secretHint,
  created_at: r.createdAt,
});

export const deliveryView = (r: DeliveryRecord): DeliveryView => ({
  id: r.id,
  event: r.event,
  status: r.status,
  attempts: r.attempts,
  last_status_code: r.lastStatusCode ?? null,
  next_attempt_at: r.status === 'pending' ? (r.nextAttemptAt ?? null) : null,
  created_at: r.createdAt,
});

/** The events asked for (the contract's event types), each once; all when none. */
const eventsOf = (events: WebhookInput['events']): string[] | undefined =>
  events === undefined || events === null ? undefined : [...new Set(events)];

async function listRecords(tenantId: string): Promise<SubscriptionRecord[]> {
  const { odata } = await tablesSdk();
  const found: SubscriptionRecord[] = [];
  for await (const { value } of subscriptions.all(odata`PartitionKey eq ${tenantId}`)) found.push(value);
  return found;
}

async function load(tenantId: string, id: string): Promise<SubscriptionRecord> {
  const stored = isRecordId(id) ? await subscriptions.read(tenantId, id.toLowerCase()) : undefined;
  if (!stored) throw notFound('No webhook subscription with this id.');
  return stored.value;
}

export async function createSubscription(
  tenantId: string,
  body: WebhookInput,
  lookup?: HostLookup,
): Promise<SubscriptionView & { secret: string }> {
  let url: URL;
  try {
    url = await checkWebhookUrl(body.url, { ...addressPolicy(), lookup });
  } catch (err) {
    if (err instanceof RefusedUrlError) throw invalid(err.reason, { code: 'invalid_url' });
    throw err;
  }
  const events = eventsOf(body.events);
  const description = body.description ?? undefined;
  if ((await listRecords(tenantId)).length >= MAX_SUBSCRIPTIONS) {
    throw conflict(`A tenant can have at most ${MAX_SUBSCRIPTIONS} webhook subscriptions.`, {
      code: 'limit_reached',
    });
  }
  const id = randomUUID();
  const secret = newSigningSecret();
  const store = secretStore();
  const ref = signingSecretRef(tenantId, id);
  const secretVersion = await store.put(ref, { secret });
  const record: SubscriptionRecord = {
    tenantId,
    id,
    url: url.toString(),
    events,
    description,
    secretVersion,
    // The fixed prefix and a mask: no part of the secret goes into a table.
    secretHint: `${SECRET_PREFIX}${MASK}`,
    createdAt: new Date().toISOString(),
  };
  try {
    await subscriptions.insert(record);
  } catch (err) {
    // Only a record known to be absent gives its secret back (insert reads back after a failure); one that may
    // have landed keeps it, and the sweep removes a secret whose record never landed.
    if (err instanceof InsertFailedError && err.absent) await store.delete(ref).catch(() => undefined);
    throw err;
  }
  return { ...subscriptionView(record), secret };
}

export async function listSubscriptions(tenantId: string): Promise<SubscriptionView[]> {
  const records = await listRecords(tenantId);
  records.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  return records.map(subscriptionView);
}

export async function getSubscription(tenantId: string, id: string): Promise<SubscriptionView> {
  return subscriptionView(await load(tenantId, id));
}

export async function removeSubscription(tenantId: string, id: string): Promise<void> {
  const key = isRecordId(id) ? id.toLowerCase() : undefined;
  const deleted = key ? await subscriptions.delete(tenantId, key) : false;
  // The secret goes after the record; a retry of a delete whose secret removal failed finishes the job.
  if (key) await secretStore().delete(signingSecretRef(tenantId, key));
  if (!deleted) throw notFound('No webhook subscription with this id.');
}

export async function testSubscription(
  tenantId: string,
  id: string,
  log?: DeliveryLog,
): Promise<DeliveryView> {
  return deliveryView(await sendTestEvent(await load(tenantId, id), log));
}

const MAX_LOG = 100;

/** The subscription's deliveries, newest first (at most 100). */
export async function listDeliveries(tenantId: string, id: string): Promise<DeliveryView[]> {
  const sub = await load(tenantId, id);
  const { odata } = await tablesSdk();
  // Delivery keys are `${subscriptionId}_${msg id}`; '`' sorts right after '_', closing the range.
  const filter = odata`PartitionKey eq ${tenantId} and RowKey gt ${`${sub.id}_`} and RowKey lt ${`${sub.id}\``}`;
  const page = await deliveries.page(filter, MAX_LOG);
  return page.records.map(deliveryView);
}
