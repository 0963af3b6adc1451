// Request and response shapes of the webhook routes for the OpenAPI document.
import { JsonSchema } from '../catalog/types';
import { LIFECYCLE_EVENT_TYPES } from '../events/lifecycle';
import { OperationDoc } from '../routing/declarations';

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
    status: { enum: ['pending', 'delivered', 'failed'] },
    attempts: { type: 'integer' },
    last_status_code: { type: ['integer', 'null'] },
    next_attempt_at: { type: ['string', 'null'], format: 'date-time' },
    created_at: { type: 'string', format: 'date-time' },
  },
};

export const webhookDocs: Record<'create' | 'list' | 'get' | 'remove' | 'test' | 'deliveries', OperationDoc> =
  {
    create: {
      summary: 'Subscribe a URL to lifecycle events; the signing secret is in this answer only',
      tag: 'webhooks',
      status: 201,
      description:
        'The URL must be https (http only for hosts in WEBHOOK_ALLOW_INSECURE_HOSTS) and must not resolve to a ' +
        'loopback, private, link-local or metadata address (400 otherwise). Deliveries are signed as Standard ' +
        'Webhooks: webhook-id, webhook-timestamp, webhook-signature.',
      body: {
        type: 'object',
        required: ['url'],
        additionalProperties: false,
        properties: {
          url: { type: 'string', format: 'uri', maxLength: 2048 },
          events: { type: 'array', minItems: 1, items: { enum: [...LIFECYCLE_EVENT_TYPES] } },
          description: { type: 'string', maxLength: 500 },
        },
      },
      response: {
        ...subscription,
        required: [...(subscription.required as string[]), 'secret'],
        properties: {
          ...(subscription.properties as Record<string, JsonSchema>),
          secret: { type: 'string', description: 'whsec_ + base64 of the signing key; shown once' },
        },
      },
    },
    list: {
      summary: "The tenant's webhook subscriptions",
      tag: 'webhooks',
      response: { type: 'array', items: subscription },
    },
    get: { summary: 'One webhook subscription (secret masked)', tag: 'webhooks', response: subscription },
    remove: { summary: 'Delete a webhook subscription and its signing secret', tag: 'webhooks' },
    test: {
      summary: 'Send a webhook.test event to the subscription',
      tag: 'webhooks',
      status: 202,
      response: delivery,
    },
    deliveries: {
      summary: "The subscription's deliveries, newest first (at most 100)",
      tag: 'webhooks',
      response: { type: 'array', items: delivery },
    },
  };
