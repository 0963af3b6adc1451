// The contracts of the OAuth connection routes, declared once; the route table uses them.
import { CONNECTOR_TYPES, JsonSchema } from '../catalog/types';
import { RouteContract } from './contract';
import { CONNECTION_STATUSES } from '../stores/connectionStore';
import { CONNECTOR_TYPE_INPUT } from './catalog';
import { INPUT_LIMITS, SCOPE_PATTERN } from './limits';
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

const returnUrl: JsonSchema = {
  type: ['string', 'null'],
  maxLength: INPUT_LIMITS.returnUrlLength,
  'x-error-code': 'return_url_too_long',
  description:
    'Where the browser goes after the callback (an absolute http(s) URL whose origin is in OAUTH_ALLOWED_RETURN_URLS)',
};

export const connectionRecord = {
  type: 'object',
  additionalProperties: false,
  required: [
    'id',
    'connector_type',
    'name',
    'status',
    'config_id',
    'scopes',
    'account_id',
    'account_name',
    'expires_at',
    'reconnect_by',
    'created_at',
    'updated_at',
    'last_tested_at',
    'last_refreshed_at',
    'last_error',
  ],
  properties: {
    id: { type: 'string', format: 'uuid' },
    connector_type: { enum: [...CONNECTOR_TYPES] },
    name: { type: 'string' },
    status: { enum: [...CONNECTION_STATUSES] },
    config_id: { type: ['string', 'null'] },
    scopes: { type: 'array', items: { type: 'string' } },
    account_id: { type: ['string', 'null'] },
    account_name: { type: ['string', 'null'] },
    expires_at: NULLABLE_TIMESTAMP,
    reconnect_by: {
      ...NULLABLE_TIMESTAMP,
      description:
        "When the grant stops working unless the user consents again (Meta's token and data-access expiry, a refresh token's end, Google's six months without use); null when nothing is known to end it. The connection turns expired then; connection.reconnect_needed is sent once, 7 days before.",
    },
    created_at: TIMESTAMP,
    updated_at: TIMESTAMP,
    last_tested_at: NULLABLE_TIMESTAMP,
    last_refreshed_at: NULLABLE_TIMESTAMP,
    last_error: { type: ['string', 'null'] },
  },
} satisfies JsonSchema;

const authorizationStart = {
  ...connectionRecord,
  required: [...connectionRecord.required, 'authorization_url', 'state_expires_at'],
  properties: {
    ...connectionRecord.properties,
    authorization_url: { type: 'string', format: 'uri' },
    state_expires_at: TIMESTAMP,
  },
} satisfies JsonSchema;

/** The body of POST /v1/connectors/oauth, as its schema below states it. */
export interface ConnectionInput {
  connector_type: string;
  config_id?: string;
  name?: string;
  scopes?: string[];
  return_url?: string | null;
}

/** The body of POST /v1/connectors/oauth/{connection_id}/reconnect (optional), as its schema below states it. */
export interface ReconnectInput {
  return_url?: string | null;
}

const BROWSER_PAGE = 'An HTML page for the person in the browser';

export const connectionContracts = {
  create: {
    summary: 'Start an OAuth connection: returns the authorization URL to send the user to',
    tag: 'oauth',
    body: {
      schema: {
        type: 'object',
        required: ['connector_type'],
        additionalProperties: false,
        properties: {
          connector_type: CONNECTOR_TYPE_INPUT,
          config_id: {
            type: 'string',
            maxLength: INPUT_LIMITS.idLength,
            description:
              'A configuration of this tenant and platform; else CONNECTOR_<TYPE>_CLIENT_ID/_SECRET',
          },
          name: NAME,
          scopes: {
            type: 'array',
            minItems: 1,
            maxItems: INPUT_LIMITS.scopeCount,
            items: { type: 'string', pattern: SCOPE_PATTERN },
            description: "The connector type's default scopes when absent",
          },
          return_url: returnUrl,
        },
      },
    },
    responses: {
      201: {
        description: 'The pending connection and where to send the user',
        data: authorizationStart,
        headers: { Location: 'The URL of the new connection' },
      },
    },
    // config_id naming no configuration of the tenant (404), or one that cannot be used (409).
    errors: [404, 409],
  },
  list: {
    summary: "List the tenant's OAuth connections",
    tag: 'oauth',
    description: `Reads no secret (tokens are never shown). ${UNREADABLE_NOTE}`,
    query: {
      type: { description: 'Only this connector type', schema: CONNECTOR_TYPE_INPUT },
      status: { description: 'Only this status', schema: { enum: [...CONNECTION_STATUSES] } },
      reconnect_before: {
        description:
          'An ISO 8601 date-time: only connections whose reconnect_by is earlier (those that need the user soon); 400 when it is not a valid time',
        schema: { type: 'string', maxLength: 64 },
      },
      ...PAGE_PARAMETERS,
    },
    responses: {
      200: {
        description: 'A page of connections',
        data: { type: 'array', items: connectionRecord },
        metadata: LIST_METADATA,
      },
    },
  },
  get: {
    summary: 'One connection (never its tokens)',
    tag: 'oauth',
    responses: { 200: { description: 'The connection', data: connectionRecord } },
  },
  remove: {
    summary: 'Revoke at the platform where possible, delete tokens and record',
    tag: 'oauth',
    responses: {
      200: {
        description: 'Deleted, and whether the platform revoked the grant',
        data: {
          ...DELETED,
          required: [...(DELETED.required as string[]), 'revoked'],
          properties: {
            ...(DELETED.properties as Record<string, JsonSchema>),
            revoked: { type: 'boolean' },
          },
        },
      },
    },
  },
  refresh: {
    summary:
      'Renew the tokens now (Meta: long-lived token exchange); 409 refresh_not_supported for a type whose tokens cannot be renewed (tiktok_ads)',
    tag: 'oauth',
    responses: { 200: { description: 'The connection with its new expiry', data: connectionRecord } },
    errors: PLATFORM_ERRORS,
  },
  test: {
    summary: 'Make the cheapest identity call; sets last_tested_at and the status',
    tag: 'oauth',
    responses: {
      200: {
        description: 'Whether the call worked, the account it saw, and the connection after it',
        data: {
          type: 'object',
          required: ['ok', 'connection'],
          properties: {
            ok: { type: 'boolean' },
            account: { description: 'The account the platform named (when ok)' },
            error: { description: 'What went wrong (when not ok)' },
            connection: connectionRecord,
          },
        },
      },
    },
    errors: PLATFORM_ERRORS,
  },
  reconnect: {
    summary: 'A fresh authorization URL for the same connection (same id and settings)',
    tag: 'oauth',
    body: {
      required: false,
      schema: { type: 'object', additionalProperties: false, properties: { return_url: returnUrl } },
    },
    responses: {
      200: { description: 'The connection and where to send the user', data: authorizationStart },
    },
    errors: [409],
  },
  callback: {
    summary: 'The platform redirects the browser here (anonymous)',
    tag: 'oauth',
    description:
      "Success: 302 to return_url with connection_id and status=active (an HTML page without return_url). Platform error: 302 with status=error&error=<code> (the platform's own code when it refused; token_exchange_failed when it refused the code; platform_unreachable; app_credentials_unusable when the configuration cannot be used). Unknown, expired or used state: 400. Our own dependency (storage, secret store) unavailable: 503 (an HTML page for browsers, else the error envelope with code dependency_unavailable) and nothing changes: the same link works again once it is back; everything the exchange needs is checked before the one-time state is spent.",
    query: {
      code: { description: 'Authorization code', schema: { type: 'string' } },
      auth_code: { description: 'Authorization code (TikTok API for Business)', schema: { type: 'string' } },
      state: { description: 'The state of the authorization URL', schema: { type: 'string' } },
      error: { description: 'Error code from the platform', schema: { type: 'string' } },
      error_description: {
        description: "The platform's description of the error",
        schema: { type: 'string' },
      },
    },
    responses: {
      302: {
        kind: 'redirect',
        description:
          'To return_url with connection_id and status=active, or status=error&error=<code> when the connection was not made',
        headers: { Location: 'return_url with the outcome added to its query' },
      },
      200: {
        kind: 'html',
        description: `${BROWSER_PAGE} saying whether the connection was made (when it has no return_url)`,
      },
      400: {
        kind: 'html',
        description: `Unknown, expired or used state: ${BROWSER_PAGE} (with Accept: text/html), else the error envelope (code invalid_state); nothing changes`,
      },
      503: {
        kind: 'html',
        description: `Storage or the secret store is unavailable: ${BROWSER_PAGE} (with Accept: text/html), else the error envelope; nothing changes and the link works again later`,
        headers: { 'Retry-After': 'Seconds to wait' },
      },
    },
  },
} satisfies Record<string, RouteContract>;
