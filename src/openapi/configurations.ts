// The contracts of the connector configuration routes, declared once; the route table uses them.
import { CONNECTOR_TYPES, JsonSchema } from '../catalog/types';
import { RouteContract } from './contract';
import { CONFIG_STATUSES, SETTABLE_CONFIG_STATUSES } from '../stores/configurationStore';
import { CONNECTOR_TYPE_INPUT } from './catalog';
import {
  DELETED,
  LIST_METADATA,
  NAME,
  NULLABLE_TIMESTAMP,
  PAGE_PARAMETERS,
  PLATFORM_ERRORS,
  TIMESTAMP,
  UNREADABLE_NOTE,
} from './shared';

const MASKED_CONFIG: JsonSchema = {
  type: 'object',
  description:
    'The configuration with every secret masked. Single-record routes (create, get, config, patch, verify) show a secret of 12 or more characters as its first and last 4 characters, a shorter one as ********. Lists read no secret: each secret field that is set shows ******** whatever its length. A PATCH that sends either mask back keeps the stored secret.',
};

const configurationRecord = {
  type: 'object',
  additionalProperties: false,
  required: [
    'id',
    'name',
    'connector_type',
    'status',
    'config',
    'last_verified_at',
    'last_error',
    'created_at',
    'updated_at',
  ],
  properties: {
    id: { type: 'string', format: 'uuid' },
    name: { type: 'string' },
    connector_type: { enum: [...CONNECTOR_TYPES] },
    status: { enum: [...CONFIG_STATUSES] },
    config: MASKED_CONFIG,
    last_verified_at: NULLABLE_TIMESTAMP,
    last_error: { type: ['string', 'null'] },
    created_at: TIMESTAMP,
    updated_at: TIMESTAMP,
  },
} satisfies JsonSchema;

/** The body of POST /v1/connectors/configs, as its schema below states it. */
export interface ConfigurationInput {
  name: string;
  connector_type: string;
  config: Record<string, unknown>;
}

/** The body of PATCH /v1/connectors/configs/{id}, as its schema below states it. */
export interface ConfigurationPatchInput {
  name?: string;
  status?: (typeof SETTABLE_CONFIG_STATUSES)[number];
  config?: Record<string, unknown>;
}

const ETAG = { ETag: 'The version of the record, for If-Match' };

export const configurationContracts = {
  create: {
    summary: 'Create a connector configuration (secrets go to the secret store)',
    tag: 'configurations',
    body: {
      schema: {
        type: 'object',
        required: ['name', 'connector_type', 'config'],
        additionalProperties: false,
        properties: {
          name: NAME,
          connector_type: CONNECTOR_TYPE_INPUT,
          config: { type: 'object', description: "Fields of the connector type's schema" },
        },
      },
    },
    responses: {
      201: {
        description: 'The configuration, secrets masked',
        data: configurationRecord,
        headers: { ...ETAG, Location: 'The URL of the new configuration' },
      },
    },
  },
  list: {
    summary: "List the tenant's configurations",
    tag: 'configurations',
    description: `Reads no secret: each secret field that is set shows ******** (the first/last-4 masks are on the single-record routes), so a page costs the secret store nothing. ${UNREADABLE_NOTE}`,
    query: {
      type: { description: 'Only this connector type', schema: CONNECTOR_TYPE_INPUT },
      status: { description: 'Only this status', schema: { enum: [...CONFIG_STATUSES] } },
      ...PAGE_PARAMETERS,
    },
    responses: {
      200: {
        description: 'A page of configurations',
        data: { type: 'array', items: configurationRecord },
        metadata: LIST_METADATA,
      },
    },
  },
  get: {
    summary: 'One configuration (secrets masked); ETag header',
    tag: 'configurations',
    responses: { 200: { description: 'The configuration', data: configurationRecord, headers: ETAG } },
  },
  config: {
    summary: 'The masked configuration only',
    tag: 'configurations',
    responses: {
      200: { description: 'The configuration fields, secrets masked', data: MASKED_CONFIG, headers: ETAG },
    },
  },
  patch: {
    summary:
      'Change name, status (active/inactive) or config fields (merged; null clears; a masked echo keeps)',
    tag: 'configurations',
    description: 'Honours If-Match (412 on mismatch); concurrent PATCHes never lose a write.',
    headers: {
      'If-Match': {
        description: 'The ETag read; the change is refused with 412 when the record has changed since',
        schema: { type: 'string', maxLength: 200 },
      },
    },
    body: {
      schema: {
        type: 'object',
        additionalProperties: false,
        properties: {
          name: NAME,
          status: {
            enum: [...SETTABLE_CONFIG_STATUSES],
            description: 'pending_setup and error are set by the service',
          },
          config: { type: 'object', description: 'Fields to change; null clears one' },
        },
      },
    },
    responses: {
      200: { description: 'The changed configuration', data: configurationRecord, headers: ETAG },
    },
    errors: [412],
  },
  remove: {
    summary: 'Delete a configuration and its secrets',
    tag: 'configurations',
    responses: { 200: { description: 'Deleted', data: DELETED } },
  },
  verify: {
    summary: 'Prove the app credentials against the platform; sets status active or error',
    tag: 'configurations',
    responses: {
      200: {
        description: 'The configuration after the check, and whether the platform accepted it',
        data: {
          ...configurationRecord,
          required: [...configurationRecord.required, 'verified'],
          properties: { ...configurationRecord.properties, verified: { type: 'boolean' } },
        },
        headers: ETAG,
      },
    },
    errors: PLATFORM_ERRORS,
  },
} satisfies Record<string, RouteContract>;
