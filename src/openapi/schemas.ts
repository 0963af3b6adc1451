// Request and response shapes for the OpenAPI document, next to nothing else so the route table stays short.
import { CONNECTOR_TYPES, JsonSchema } from '../catalog/types';
import { OperationDoc } from '../routing/declarations';
import { INPUT_LIMITS } from './limits';

const sessionId: JsonSchema = { type: 'string', maxLength: INPUT_LIMITS.idLength };
const returnUrl: JsonSchema = {
  type: 'string',
  maxLength: INPUT_LIMITS.returnUrlLength,
  description: 'Where the browser goes after the callback; origin must be in OAUTH_ALLOWED_RETURN_URLS',
};
import { reportInfo, reportRequest, reportRow } from './reports';

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

/** How every list says which of its records it could not read. */
const UNREADABLE_NOTE =
  'One record that cannot be read never fails a list: the page answers with the others, and metadata.unreadable lists [{id, code: "record_unreadable", error}] for each record left out (empty when none). metadata also carries count and continuation_token (null on the last page).';

const LIST_METADATA: JsonSchema = {
  type: 'object',
  required: ['request_id', 'count', 'continuation_token', 'unreadable'],
  properties: {
    request_id: { type: 'string' },
    count: { type: 'integer' },
    continuation_token: { type: ['string', 'null'] },
    unreadable: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'code', 'error'],
        properties: {
          id: { type: 'string' },
          code: { const: 'record_unreadable' },
          error: { type: 'string' },
        },
      },
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
    config: {
      type: 'object',
      description:
        'The configuration with every secret masked. Single-record routes (create, get, config, patch, verify) show a secret of 12 or more characters as its first and last 4 characters, a shorter one as ********. Lists read no secret: each secret field that is set shows ******** whatever its length. A PATCH that sends either mask back keeps the stored secret.',
    },
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
        name: { type: 'string', minLength: 1, maxLength: INPUT_LIMITS.nameLength },
        connector_type: { enum: [...CONNECTOR_TYPES] },
        config: { type: 'object', description: "Fields of the connector type's schema" },
      },
    },
    response: configurationRecord,
  },
  list: {
    summary: "List the tenant's configurations",
    tag: 'configurations',
    description: `Reads no secret: each secret field that is set shows ******** (the first/last-4 masks are on the single-record routes), so a page costs the secret store nothing. ${UNREADABLE_NOTE}`,
    query: {
      type: 'Connector type',
      status: 'pending_setup, active, inactive or error',
      limit: '1 to 100 (default 50)',
      continuation_token: 'metadata.continuation_token of the previous page',
    },
    response: { type: 'array', items: configurationRecord },
    metadata: LIST_METADATA,
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
        name: { type: 'string', minLength: 1, maxLength: INPUT_LIMITS.nameLength },
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

const connectionRecord: JsonSchema = {
  type: 'object',
  required: ['id', 'connector_type', 'name', 'status', 'scopes', 'created_at', 'updated_at'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    connector_type: { enum: [...CONNECTOR_TYPES] },
    name: { type: 'string' },
    status: { enum: ['pending', 'active', 'error', 'expired', 'revoked'] },
    config_id: { type: ['string', 'null'] },
    scopes: { type: 'array', items: { type: 'string' } },
    account_id: { type: ['string', 'null'] },
    account_name: { type: ['string', 'null'] },
    expires_at: { type: ['string', 'null'], format: 'date-time' },
    reconnect_by: {
      type: ['string', 'null'],
      format: 'date-time',
      description:
        "When the grant stops working unless the user consents again (Meta's token and data-access expiry, a refresh token's end, Google's six months without use); null when nothing is known to end it. The connection turns expired then; connection.reconnect_needed is sent once, 7 days before.",
    },
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
    last_tested_at: { type: ['string', 'null'], format: 'date-time' },
    last_refreshed_at: { type: ['string', 'null'], format: 'date-time' },
    last_error: { type: ['string', 'null'] },
  },
};

const authorizationStart: JsonSchema = {
  ...connectionRecord,
  required: [...(connectionRecord.required as string[]), 'authorization_url'],
  properties: {
    ...(connectionRecord.properties as object),
    authorization_url: { type: 'string', format: 'uri' },
    state_expires_at: { type: 'string', format: 'date-time' },
  },
};

export const connectionDocs: Record<
  'create' | 'list' | 'get' | 'remove' | 'refresh' | 'test' | 'reconnect' | 'callback',
  OperationDoc
> = {
  create: {
    summary: 'Start an OAuth connection: returns the authorization URL to send the user to',
    tag: 'oauth',
    status: 201,
    body: {
      type: 'object',
      required: ['connector_type'],
      additionalProperties: false,
      properties: {
        connector_type: { enum: [...CONNECTOR_TYPES] },
        config_id: {
          type: 'string',
          maxLength: INPUT_LIMITS.idLength,
          description: 'A configuration of this tenant and platform; else CONNECTOR_<TYPE>_CLIENT_ID/_SECRET',
        },
        name: { type: 'string', minLength: 1, maxLength: INPUT_LIMITS.nameLength },
        scopes: {
          type: 'array',
          minItems: 1,
          maxItems: INPUT_LIMITS.scopeCount,
          items: { type: 'string', maxLength: INPUT_LIMITS.scopeLength },
        },
        return_url: returnUrl,
      },
    },
    response: authorizationStart,
  },
  list: {
    summary: "List the tenant's OAuth connections",
    tag: 'oauth',
    description: `Reads no secret (tokens are never shown). ${UNREADABLE_NOTE}`,
    query: {
      type: 'Connector type',
      status: 'pending, active, error, expired or revoked',
      reconnect_before:
        'An ISO 8601 date-time: only connections whose reconnect_by is earlier (those that need the user soon); 400 when it is not a valid time',
      limit: '1 to 100',
      continuation_token: 'From metadata',
    },
    response: { type: 'array', items: connectionRecord },
    metadata: LIST_METADATA,
  },
  get: { summary: 'One connection (never its tokens)', tag: 'oauth', response: connectionRecord },
  remove: { summary: 'Revoke at the platform where possible, delete tokens and record', tag: 'oauth' },
  refresh: {
    summary:
      'Renew the tokens now (Meta: long-lived token exchange); 409 refresh_not_supported for a type whose tokens cannot be renewed (tiktok_ads)',
    tag: 'oauth',
    response: connectionRecord,
  },
  test: {
    summary: 'Make the cheapest identity call; sets last_tested_at and the status',
    tag: 'oauth',
    response: {
      type: 'object',
      required: ['ok'],
      properties: { ok: { type: 'boolean' }, account: {}, connection: connectionRecord },
    },
  },
  reconnect: {
    summary: 'A fresh authorization URL for the same connection (same id and settings)',
    tag: 'oauth',
    body: { type: 'object', properties: { return_url: returnUrl } },
    response: authorizationStart,
  },
  callback: {
    summary: 'The platform redirects the browser here (anonymous)',
    tag: 'oauth',
    description:
      "Success: 302 to return_url with connection_id and status=active (an HTML page without return_url). Platform error: 302 with status=error&error=<code> (the platform's own code when it refused; token_exchange_failed when it refused the code; platform_unreachable; app_credentials_unusable when the configuration cannot be used). Unknown, expired or used state: 400. Our own dependency (storage, secret store) unavailable: 503 (an HTML page for browsers, else the error envelope with code dependency_unavailable) and nothing changes: the same link works again once it is back; everything the exchange needs is checked before the one-time state is spent.",
    query: {
      code: 'Authorization code',
      state: 'The state of the authorization URL',
      error: 'Error code from the platform',
    },
  },
};

const sessionHint =
  'Name the session with the X-Session-Id header (or session_id); without one a new session starts.';

export const operationDocs: Record<
  'metadata' | 'account' | 'query' | 'execute' | 'message' | 'state',
  OperationDoc
> = {
  metadata: {
    summary: "The connection's accounts, the query schema and the execute operations of its type",
    tag: 'operations',
    description: sessionHint,
    query: { session_id: 'The session (or X-Session-Id header)' },
  },
  account: {
    summary: "Set the session's active account (checked against the connection's accounts)",
    tag: 'operations',
    description: sessionHint,
    body: {
      type: 'object',
      required: ['account_id'],
      properties: {
        account_id: { type: 'string', maxLength: INPUT_LIMITS.idLength },
        session_id: sessionId,
      },
    },
  },
  query: {
    summary:
      'Run a native query or a unified report; rows are flat objects, next_cursor continues it (message next_page)',
    tag: 'operations',
    description: `${sessionHint} The query shape per connector type is in GET /v1/connectors/{type} (operations.query) and the metadata route.`,
    body: {
      type: 'object',
      properties: {
        query: { type: 'object', description: 'A native query of the connector type' },
        report: reportRequest,
        session_id: sessionId,
      },
      oneOf: [{ required: ['query'] }, { required: ['report'] }],
    },
    response: {
      type: 'object',
      required: ['rows', 'next_cursor'],
      properties: {
        rows: {
          type: 'array',
          items: { type: 'object' },
          description: 'Native rows (flat objects) for a query; rows of the report row schema for a report',
        },
        report: {
          ...reportInfo,
          description: 'With a report: currency, time zone, conversions, restatement',
        },
        report_row: { ...reportRow, description: 'The shape of each row of a report (documentation only)' },
        next_cursor: { type: ['string', 'null'] },
        warnings: {
          type: 'array',
          items: { type: 'string' },
          description: 'What the platform reported beside the data (partial failures); absent when none',
        },
      },
    },
  },
  execute: {
    summary: 'Run a write operation of the connector type (publish a post, change a campaign status…)',
    tag: 'operations',
    description: sessionHint,
    body: {
      type: 'object',
      required: ['operation'],
      properties: {
        operation: { type: 'string', maxLength: INPUT_LIMITS.idLength },
        params: { type: 'object' },
        session_id: sessionId,
      },
    },
  },
  message: {
    summary: 'Send a session message: next_page, set_defaults, reset',
    tag: 'operations',
    description:
      "next_page: the next page of the session's last query (optional cursor must equal the next_cursor held). set_defaults: {defaults: {…}} merged into later queries (null removes a key). reset: forget account, last query, cursor and defaults.",
    body: {
      type: 'object',
      required: ['type'],
      properties: {
        type: { enum: ['next_page', 'set_defaults', 'reset'] },
        cursor: { type: 'string', maxLength: INPUT_LIMITS.cursorLength },
        defaults: { type: 'object' },
        session_id: sessionId,
      },
    },
  },
  state: {
    summary: "The session's state: account, last query, cursor, defaults, timestamps",
    tag: 'operations',
    description: sessionHint,
    query: { session_id: 'The session (or X-Session-Id header)' },
  },
};
