// Request and response shapes for the OpenAPI document, next to nothing else so the route table stays short.
import { CONNECTOR_TYPES, JsonSchema } from '../catalog/types';
import { OperationDoc } from '../routing/declarations';

const connectorSummary: JsonSchema = {
  type: 'object',
  required: ['type', 'name', 'description', 'auth_type', 'capabilities'],
  properties: {
    type: { enum: [...CONNECTOR_TYPES] },
    name: { type: 'string' },
    description: { type: 'string' },
    family: { type: 'string' },
    auth_type: { const: 'oauth2' },
    capabilities: { type: 'array', items: { type: 'string' } },
    oauth: { type: 'object' },
  },
};

const validationResult: JsonSchema = {
  type: 'object',
  required: ['valid', 'errors'],
  properties: {
    valid: { type: 'boolean' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        required: ['path', 'message'],
        properties: {
          path: { type: 'string', description: 'JSON pointer into config' },
          message: { type: 'string' },
        },
      },
    },
  },
};

export const catalogDocs: Record<'list' | 'get' | 'validate' | 'schema', OperationDoc> = {
  list: {
    summary: 'List the connector types',
    tag: 'catalog',
    response: { type: 'array', items: connectorSummary },
  },
  get: {
    summary: 'One connector type with the JSON Schema of its configuration',
    tag: 'catalog',
    response: {
      ...connectorSummary,
      properties: { ...(connectorSummary.properties as object), schema: { type: 'object' } },
    },
  },
  validate: {
    summary: "Validate a configuration against the connector type's schema",
    tag: 'catalog',
    body: { type: 'object', required: ['config'], properties: { config: { type: 'object' } } },
    response: validationResult,
  },
  schema: {
    summary: "The JSON Schema of a connector type's configuration",
    tag: 'catalog',
    response: {
      type: 'object',
      description: 'A JSON Schema (2020-12); secret fields carry writeOnly: true.',
    },
  },
};

const configurationRecord: JsonSchema = {
  type: 'object',
  required: ['id', 'name', 'connector_type', 'status', 'config', 'created_at', 'updated_at'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    name: { type: 'string' },
    connector_type: { enum: [...CONNECTOR_TYPES] },
    status: { enum: ['pending_setup', 'active', 'inactive', 'error'] },
    config: { type: 'object', description: 'The configuration with every secret masked.' },
    last_verified_at: { type: ['string', 'null'], format: 'date-time' },
    last_error: { type: ['string', 'null'] },
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
  },
};

export const configurationDocs: Record<
  'create' | 'list' | 'get' | 'config' | 'patch' | 'remove' | 'verify',
  OperationDoc
> = {
  create: {
    summary: 'Create a connector configuration (secrets go to the secret store)',
    tag: 'configurations',
    status: 201,
    body: {
      type: 'object',
      required: ['name', 'connector_type', 'config'],
      additionalProperties: false,
      properties: {
        name: { type: 'string', maxLength: 200 },
        connector_type: { enum: [...CONNECTOR_TYPES] },
        config: { type: 'object', description: "Fields of the connector type's schema" },
      },
    },
    response: configurationRecord,
  },
  list: {
    summary: "List the tenant's configurations",
    tag: 'configurations',
    query: {
      type: 'Connector type',
      status: 'pending_setup, active, inactive or error',
      limit: '1 to 100 (default 50)',
      continuation_token: 'metadata.continuation_token of the previous page',
    },
    response: { type: 'array', items: configurationRecord },
  },
  get: {
    summary: 'One configuration (secrets masked); ETag header',
    tag: 'configurations',
    response: configurationRecord,
  },
  config: { summary: 'The masked configuration only', tag: 'configurations', response: { type: 'object' } },
  patch: {
    summary:
      'Change name, status (active/inactive) or config fields (merged; null clears; a masked echo keeps)',
    tag: 'configurations',
    description: 'Honours If-Match (412 on mismatch); concurrent PATCHes never lose a write.',
    body: {
      type: 'object',
      additionalProperties: false,
      properties: {
        name: { type: 'string' },
        status: { enum: ['active', 'inactive'] },
        config: { type: 'object' },
      },
    },
    response: configurationRecord,
  },
  remove: { summary: 'Delete a configuration and its secrets', tag: 'configurations' },
  verify: {
    summary: 'Prove the app credentials against the platform; sets status active or error',
    tag: 'configurations',
    response: configurationRecord,
  },
};
