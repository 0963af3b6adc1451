// The contracts of the catalog routes: request checks and responses, declared once; the route table uses them.
import { CONNECTOR_TYPES, JsonSchema } from '../catalog/types';
import { RouteContract } from './contract';

/** A connector type as a client may name it: any case (FACEBOOK works); answers are lower case. */
export const CONNECTOR_TYPE_INPUT: JsonSchema = {
  type: 'string',
  minLength: 1,
  maxLength: 64,
  description: `One of ${CONNECTOR_TYPES.join(', ')}, in any case`,
};

const connectorSummary = {
  type: 'object',
  required: ['type', 'name', 'description', 'family', 'auth_type', 'capabilities', 'oauth'],
  properties: {
    type: { enum: [...CONNECTOR_TYPES] },
    name: { type: 'string' },
    description: { type: 'string' },
    family: { type: 'string' },
    auth_type: { const: 'oauth2' },
    capabilities: { type: 'array', items: { type: 'string' } },
    oauth: {
      type: 'object',
      required: ['default_scopes', 'scope_separator', 'pkce', 'refresh'],
      properties: {
        default_scopes: { type: 'array', items: { type: 'string' } },
        scope_separator: { enum: [' ', ','] },
        pkce: { enum: ['required', 'supported', 'none'] },
        refresh: { enum: ['rotating', 'static', 'exchange', 'none'] },
      },
    },
  },
} satisfies JsonSchema;

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

const configurationSchema: JsonSchema = {
  type: 'object',
  description: 'A JSON Schema (2020-12) of the configuration; secret fields carry writeOnly: true.',
};

export const catalogContracts = {
  list: {
    summary: 'List the connector types',
    tag: 'catalog',
    responses: {
      200: { description: 'The connector types', data: { type: 'array', items: connectorSummary } },
    },
  },
  get: {
    summary: 'One connector type with the JSON Schema of its configuration',
    tag: 'catalog',
    responses: {
      200: {
        description: 'The connector type, its configuration schema and its operations',
        data: {
          ...connectorSummary,
          required: [...connectorSummary.required, 'schema', 'operations'],
          properties: {
            ...connectorSummary.properties,
            schema: configurationSchema,
            operations: {
              type: 'object',
              required: ['query', 'execute'],
              properties: {
                query: { type: 'object', description: 'The JSON Schema of a native query' },
                execute: {
                  type: 'object',
                  description: 'Operation name → {description, params (JSON Schema)}',
                  additionalProperties: {
                    type: 'object',
                    required: ['description', 'params'],
                    properties: { description: { type: 'string' }, params: { type: 'object' } },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
  validate: {
    summary: "Validate a configuration against the connector type's schema",
    tag: 'catalog',
    body: {
      schema: {
        type: 'object',
        required: ['config'],
        properties: { config: { type: 'object', description: "Fields of the connector type's schema" } },
      },
    },
    responses: {
      200: { description: 'Whether the configuration is valid, and why not', data: validationResult },
    },
  },
  schema: {
    summary: "The JSON Schema of a connector type's configuration",
    tag: 'catalog',
    responses: { 200: { description: 'The configuration schema', data: configurationSchema } },
  },
} satisfies Record<string, RouteContract>;
