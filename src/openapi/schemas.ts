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
