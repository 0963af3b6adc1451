// The contracts of the webhook routes, declared once; the route table uses them.
import { JsonSchema } from '../catalog/types';
import { LIFECYCLE_EVENT_TYPES, LifecycleEventType } from '../events/lifecycle';
import { RouteContract } from './contract';
import { DELIVERY_STATUSES } from '../stores/webhookStore';
import { DELETED } from './shared';

const subscription: JsonSchema = {
  type: 'object',
  required: ['id', 'url', 'events', 'description', 'secret_hint', 'created_at'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    url: { type: 'string', format: 'uri' },
    events: { type: 'array', items: { enum: [...LIFECYCLE_EVENT_TYPES] } },
    description: { type: ['string', 'null'] },
    secret_hint: {
      type: 'string',
      description:
        'The signing secret, masked whole (whsec_********): no part of it is stored outside the secret store',
    },
    created_at: { type: 'string', format: 'date-time' },
  },
};

const delivery: JsonSchema = {
  type: 'object',
  required: ['id', 'event', 'status', 'attempts', 'last_status_code', 'next_attempt_at', 'created_at'],
  properties: {
    id: { type: 'string', description: 'The webhook-id header of every attempt' },
    event: { enum: [...LIFECYCLE_EVENT_TYPES] },
    status: { enum: [...DELIVERY_STATUSES] },
    attempts: { type: 'integer' },
    last_status_code: { type: ['integer', 'null'] },
    next_attempt_at: { type: ['string', 'null'], format: 'date-time' },
    created_at: { type: 'string', format: 'date-time' },
  },
};

/** The body of POST /v1/connectors/webhooks, as its schema below states it. */
export interface WebhookInput {
  url: string;
  events?: LifecycleEventType[] | null;
  description?: string | null;
}

const subscriptionCreated: JsonSchema = {
  ...subscription,
  required: [...(subscription.required as string[]), 'secret'],
  properties: {
    ...(subscription.properties as Record<string, JsonSchema>),
    secret: { type: 'string', description: 'whsec_ + base64 of the signing key; shown once' },
  },
};

export const webhookContracts = {
  create: {
    summary: 'Subscribe a URL to lifecycle events; the signing secret is in this answer only',
    tag: 'webhooks',
    description:
      'The URL must be https (http only for hosts in WEBHOOK_ALLOW_INSECURE_HOSTS) and must not resolve to a ' +
      'loopback, private, link-local or metadata address (400 invalid_url otherwise). Deliveries are signed as ' +
      'Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature. A tenant has at most 20 (409).',
    body: {
      schema: {
        type: 'object',
        required: ['url'],
        additionalProperties: false,
        properties: {
          url: { type: 'string', format: 'uri', maxLength: 2048, 'x-error-code': 'invalid_url' },
          events: {
            type: ['array', 'null'],
            minItems: 1,
            items: { enum: [...LIFECYCLE_EVENT_TYPES] },
            description: 'The events to send; absent or null means all',
          },
          description: { type: ['string', 'null'], maxLength: 500 },
        },
      },
    },
    responses: {
      201: {
        description: 'The subscription with its signing secret (shown this once)',
        data: subscriptionCreated,
        headers: { Location: 'The URL of the new subscription' },
      },
    },
    errors: [409],
  },
  list: {
    summary: "The tenant's webhook subscriptions",
    tag: 'webhooks',
    responses: {
      200: {
        description: 'The subscriptions',
        data: { type: 'array', items: subscription },
        metadata: {
          type: 'object',
          required: ['request_id', 'count'],
          properties: { request_id: { type: 'string' }, count: { type: 'integer' } },
        },
      },
    },
  },
  get: {
    summary: 'One webhook subscription (secret masked)',
    tag: 'webhooks',
    responses: { 200: { description: 'The subscription', data: subscription } },
  },
  remove: {
    summary: 'Delete a webhook subscription and its signing secret',
    tag: 'webhooks',
    responses: { 200: { description: 'Deleted', data: DELETED } },
  },
  test: {
    summary: 'Send a webhook.test event to the subscription',
    tag: 'webhooks',
    responses: { 202: { description: 'The delivery, on its way', data: delivery } },
  },
  deliveries: {
    summary: "The subscription's deliveries, newest first (at most 100)",
    tag: 'webhooks',
    responses: {
      200: {
        description: 'The deliveries',
        data: { type: 'array', items: delivery },
        metadata: {
          type: 'object',
          required: ['request_id', 'count'],
          properties: { request_id: { type: 'string' }, count: { type: 'integer' } },
        },
      },
    },
  },
} satisfies Record<string, RouteContract>;
