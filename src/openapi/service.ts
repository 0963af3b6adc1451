// The contracts of the service routes (health, this document), declared once; the route table uses them.
import { CONNECTOR_TYPES, JsonSchema } from '../catalog/types';
import { RouteContract } from './contract';

const DEPENDENCY_STATES = ['ok', 'unavailable', 'not_configured'];

const dependency: JsonSchema = {
  type: 'object',
  required: ['status'],
  properties: { status: { enum: DEPENDENCY_STATES } },
  description: 'Its status; a caller with a valid token (read permission) also sees its details',
};

const healthBody: JsonSchema = {
  type: 'object',
  required: ['status', 'dependencies', 'api_versions', 'counters', 'repair', 'metadata'],
  properties: {
    status: {
      enum: ['ok', 'degraded'],
      description: 'degraded: a dependency is down or an API version near its sunset',
    },
    dependencies: {
      type: 'object',
      required: ['storage', 'secrets', 'auth'],
      properties: { storage: dependency, secrets: dependency, auth: dependency },
    },
    api_versions: {
      type: 'array',
      items: {
        type: 'object',
        required: ['type', 'api', 'version', 'sunset', 'status'],
        properties: {
          type: { enum: [...CONNECTOR_TYPES] },
          api: { type: 'string' },
          version: { type: 'string' },
          sunset: { type: ['string', 'null'] },
          status: { type: 'string' },
          setting: { type: 'string' },
        },
      },
    },
    counters: {
      type: 'object',
      required: ['refreshes', 'refresh_failures', 'platform_rate_limits', 'since'],
      properties: {
        refreshes: { type: 'integer' },
        refresh_failures: { type: 'integer' },
        platform_rate_limits: { type: 'integer' },
        since: { type: 'string', format: 'date-time' },
      },
    },
    repair: {
      type: ['object', 'null'],
      description: "The sweep's last repair in this instance (counts only); null before the first",
    },
    metadata: { type: 'object', required: ['request_id'], properties: { request_id: { type: 'string' } } },
  },
};

export const serviceContracts = {
  health: {
    summary: "Each dependency's state",
    tag: 'service',
    responses: {
      200: { kind: 'json', description: 'Every dependency is up', data: healthBody },
      503: { kind: 'json', description: 'A dependency is unavailable (the same body)', data: healthBody },
    },
  },
  openapi: {
    summary: 'This document',
    tag: 'service',
    responses: {
      200: {
        kind: 'json',
        description: 'The OpenAPI 3.1 document of every route',
        data: {
          type: 'object',
          required: ['openapi', 'info', 'servers', 'paths', 'components'],
          properties: {
            openapi: { const: '3.1.0' },
            info: { type: 'object' },
            servers: { type: 'array', items: { type: 'object' } },
            paths: { type: 'object' },
            components: { type: 'object' },
          },
        },
      },
    },
  },
  fallback: {
    summary: 'Unknown routes',
    tag: 'service',
    responses: {},
  },
} satisfies Record<string, RouteContract>;
