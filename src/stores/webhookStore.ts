// Webhook subscriptions, their deliveries and the outbox of queue messages not yet known to be sent; every row
// partitioned by tenant. The signing secret is not here: only the version of its bundle in the secret store
// and the masked hint the API shows.
import { Entity, optional, RecordTable } from './recordTable';

export interface SubscriptionRecord {
  tenantId: string;
  id: string;
  url: string;
  /** The event types delivered; undefined means all. */
  events?: string[];
  description?: string;
  secretVersion: string;
  secretHint: string;
  createdAt: string;
}

export const subscriptions = new RecordTable<SubscriptionRecord>('webhooks', {
  toEntity: (r): Entity => ({
    partitionKey: r.tenantId,
    rowKey: r.id,
    url: r.url,
    events: r.events ? JSON.stringify(r.events) : undefined,
    description: r.description,
    secretVersion: r.secretVersion,
    secretHint: r.secretHint,
    createdAt: r.createdAt,
  }),
  fromEntity: (e) => ({
    tenantId: e.partitionKey,
    id: e.rowKey,
    url: String(e.url),
    events: e.events ? (JSON.parse(String(e.events)) as string[]) : undefined,
    description: optional(e.description),
    secretVersion: String(e.secretVersion),
    secretHint: String(e.secretHint),
    createdAt: String(e.createdAt),
  }),
});

/** A delivery's statuses: the one definition the code and the OpenAPI document use. */
export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export interface DeliveryRecord {
  tenantId: string;
  /** `${subscriptionId}_${id}`: one subscription's deliveries are one key range, newest first. */
  key: string;
  subscriptionId: string;
  /** The `webhook-id` of every attempt. */
  id: string;
  event: string;
  /** The exact body every attempt sends (and signs). */
  body: string;
  status: DeliveryStatus;
  /** Attempts finished (an answer, a refusal or a timeout). */
  attempts: number;
  lastStatusCode?: number;
  nextAttemptAt?: string;
  /** While an instance is making an attempt: until when the others leave the delivery alone. */
  leaseUntil?: string;
  createdAt: string;
  updatedAt: string;
}

export const deliveryKey = (subscriptionId: string, id: string): string => `${subscriptionId}_${id}`;

export const deliveries = new RecordTable<DeliveryRecord>('webhookdeliveries', {
  toEntity: (r): Entity => ({
    partitionKey: r.tenantId,
    rowKey: r.key,
    subscriptionId: r.subscriptionId,
    id: r.id,
    event: r.event,
    body: r.body,
    status: r.status,
    attempts: String(r.attempts),
    lastStatusCode: r.lastStatusCode === undefined ? undefined : String(r.lastStatusCode),
    nextAttemptAt: r.nextAttemptAt,
    leaseUntil: r.leaseUntil,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  }),
  fromEntity: (e) => ({
    tenantId: e.partitionKey,
    key: e.rowKey,
    subscriptionId: String(e.subscriptionId),
    id: String(e.id),
    event: String(e.event),
    body: String(e.body),
    status: String(e.status) as DeliveryStatus,
    attempts: Number(e.attempts ?? 0),
    lastStatusCode: e.lastStatusCode ? Number(e.lastStatusCode) : undefined,
    nextAttemptAt: optional(e.nextAttemptAt),
    leaseUntil: optional(e.leaseUntil),
    createdAt: String(e.createdAt),
    updatedAt: String(e.updatedAt),
  }),
});

/** A queue message the service means to send: written before the send, removed after it. */
export interface OutboxRecord {
  tenantId: string;
  /** `${deliveryKey}_${attempt}`. */
  key: string;
  deliveryKey: string;
  /** The number of attempts the delivery will have finished when this message wakes it. */
  attempt: number;
  /** When the message should become visible. */
  visibleAt: string;
  createdAt: string;
}

export const outbox = new RecordTable<OutboxRecord>('webhookoutbox', {
  toEntity: (r): Entity => ({
    partitionKey: r.tenantId,
    rowKey: r.key,
    deliveryKey: r.deliveryKey,
    attempt: String(r.attempt),
    visibleAt: r.visibleAt,
    createdAt: r.createdAt,
  }),
  fromEntity: (e) => ({
    tenantId: e.partitionKey,
    key: e.rowKey,
    deliveryKey: String(e.deliveryKey),
    attempt: Number(e.attempt ?? 0),
    visibleAt: String(e.visibleAt),
    createdAt: String(e.createdAt),
  }),
});
