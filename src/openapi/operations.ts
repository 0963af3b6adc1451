// The contracts of the operation routes (a session on a connection), declared once; the route table uses them.
import { CONNECTOR_TYPES, JsonSchema } from '../catalog/types';
import { ParameterContract, RouteContract } from './contract';
import { INPUT_LIMITS } from './limits';
import { reportInfo, reportRequest, reportRow } from './reports';
import { NULLABLE_TIMESTAMP, PLATFORM_ERRORS, TIMESTAMP } from './shared';

/** The messages a session takes (POST …/message, type), and what each does: the service answers these. */
export const MESSAGE_TYPES = {
  next_page:
    "The next page of the session's last query, in the query's shape. Optional cursor: the next_cursor you hold.",
  set_defaults:
    'Merge {defaults: {…}} into the values later queries inherit (e.g. date_preset, time_range, start_date); null removes one.',
  reset: 'Forget the active account, the last query, its cursor and the defaults.',
  publish_status:
    'Check once on the execute this session is waiting for (202 in_progress, e.g. an Instagram video or a TikTok post): 200 with the result when it has finished, 202 while it is still in progress.',
};

/** The bodies of the operation routes (session_id taken out), as their schemas below state them. */
export interface AccountInput {
  account_id: string;
}
export interface QueryInput {
  query?: Record<string, unknown>;
  report?: Record<string, unknown>;
}
export interface ExecuteInput {
  operation: string;
  params?: Record<string, unknown>;
  idempotency_key?: string;
}
export interface MessageInput {
  type: keyof typeof MESSAGE_TYPES;
  cursor?: string;
  defaults?: Record<string, unknown>;
}

const SESSION_ID: JsonSchema = { type: 'string', minLength: 1, maxLength: INPUT_LIMITS.idLength };
const DEFAULTS: JsonSchema = {
  type: 'object',
  description: 'set_defaults: the values to merge (null removes one)',
};

/** How a request names its session: X-Session-Id, else session_id in the body, else in the query. */
const SESSION_HEADER: Record<string, ParameterContract> = {
  'X-Session-Id': {
    description: 'The session; without one (here, in the body or the query) a new session starts',
    schema: SESSION_ID,
  },
};
const SESSION_QUERY: Record<string, ParameterContract> = {
  session_id: { description: 'The session, when X-Session-Id is not sent', schema: SESSION_ID },
};

const SESSION_METADATA: JsonSchema = {
  type: 'object',
  required: ['request_id', 'session_id'],
  properties: { request_id: { type: 'string' }, session_id: { type: 'string' } },
};
const SESSION_RESPONSE_HEADERS = {
  'X-Session-Id': 'The session this request ran in (send it back to continue)',
};

const sessionState = {
  type: 'object',
  required: [
    'session_id',
    'connection_id',
    'account_id',
    'last_query',
    'next_cursor',
    'defaults',
    'pending_execute',
    'created_at',
    'updated_at',
    'expires_at',
  ],
  properties: {
    session_id: { type: 'string' },
    connection_id: { type: 'string' },
    account_id: { type: ['string', 'null'] },
    last_query: { type: ['object', 'null'] },
    next_cursor: { type: ['string', 'null'] },
    defaults: { type: 'object' },
    pending_execute: {
      type: ['object', 'null'],
      required: ['operation', 'started_at'],
      properties: { operation: { type: 'string' }, started_at: TIMESTAMP },
    },
    created_at: TIMESTAMP,
    updated_at: TIMESTAMP,
    expires_at: NULLABLE_TIMESTAMP,
  },
} satisfies JsonSchema;

const account: JsonSchema = {
  type: 'object',
  required: ['id', 'name', 'kind'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    kind: { type: 'string', description: 'ad_account, page, instagram_account, customer, channel, user…' },
  },
};

const queryPage = {
  type: 'object',
  required: ['rows', 'next_cursor'],
  properties: {
    rows: {
      type: 'array',
      items: { type: 'object' },
      description:
        'Native rows (flat objects with dotted keys) for a query; rows of the shape of report_row for a report',
    },
    report: { ...reportInfo, description: 'With a report: currency, time zone, conversions, restatement' },
    report_row: { ...reportRow, description: 'The shape of each row of a report (documentation only)' },
    next_cursor: { type: ['string', 'null'] },
    warnings: {
      type: 'array',
      items: { type: 'string' },
      description: 'What the platform reported beside the data (partial failures); absent when none',
    },
  },
} satisfies JsonSchema;

const executeResult: JsonSchema = {
  type: 'object',
  required: ['operation', 'result'],
  properties: { operation: { type: 'string' }, result: { description: "The platform's outcome" } },
};

const sessionHint =
  'Name the session with the X-Session-Id header (or session_id); without one a new session starts.';

function operation(contract: Omit<RouteContract, 'tag' | 'headers' | 'errors'>): RouteContract {
  return {
    ...contract,
    tag: 'operations',
    headers: SESSION_HEADER,
    errors: PLATFORM_ERRORS,
    responses: Object.fromEntries(
      Object.entries(contract.responses).map(([status, r]) => [
        status,
        { ...r, metadata: SESSION_METADATA, headers: SESSION_RESPONSE_HEADERS },
      ]),
    ),
  };
}

export const operationContracts = {
  metadata: operation({
    summary: "The connection's accounts, the query schema and the execute operations of its type",
    description: sessionHint,
    query: SESSION_QUERY,
    responses: {
      200: {
        description: 'Accounts, query schema, operations and messages',
        data: {
          type: 'object',
          required: [
            'connector_type',
            'account_id',
            'accounts',
            'truncated',
            'query_schema',
            'execute_operations',
            'messages',
          ],
          properties: {
            connector_type: { enum: [...CONNECTOR_TYPES] },
            account_id: { type: ['string', 'null'], description: "The session's active account" },
            accounts: { type: 'array', items: account },
            truncated: { type: 'boolean', description: 'More accounts than ACCOUNT_LIST_LIMIT' },
            truncation: { type: 'string', description: 'What to do when truncated' },
            query_schema: { type: 'object', description: 'The JSON Schema of a native query' },
            execute_operations: { type: 'object' },
            messages: {
              type: 'object',
              description: 'Message type → what it does',
              additionalProperties: { type: 'string' },
            },
          },
        },
      },
    },
  }),
  account: operation({
    summary: "Set the session's active account (checked against the connection's accounts)",
    description: sessionHint,
    body: {
      schema: {
        type: 'object',
        required: ['account_id'],
        properties: {
          account_id: { type: 'string', minLength: 1, maxLength: INPUT_LIMITS.idLength },
          session_id: SESSION_ID,
        },
      },
    },
    responses: {
      200: {
        description: 'The account and the session',
        data: {
          type: 'object',
          required: ['account', 'state'],
          properties: { account, state: sessionState },
        },
      },
    },
  }),
  query: operation({
    summary:
      'Run a native query or a unified report; rows are flat objects, next_cursor continues it (message next_page)',
    description: `${sessionHint} The query shape per connector type is in GET /v1/connectors/{type} (operations.query) and the metadata route.`,
    body: {
      schema: {
        type: 'object',
        properties: {
          query: { type: 'object', description: 'A native query of the connector type' },
          report: reportRequest,
          session_id: SESSION_ID,
        },
        oneOf: [{ required: ['query'] }, { required: ['report'] }],
      },
    },
    responses: { 200: { description: 'A page of rows', data: queryPage } },
  }),
  execute: operation({
    summary: 'Run a write operation of the connector type (publish a post, change a campaign status…)',
    description: `${sessionHint} 202 when the platform is still finishing it (e.g. an Instagram video): the same request, or message publish_status, checks on it without starting it again.`,
    body: {
      schema: {
        type: 'object',
        required: ['operation'],
        properties: {
          operation: { type: 'string', minLength: 1, maxLength: INPUT_LIMITS.idLength },
          params: { type: 'object', description: "The operation's parameters (GET …/metadata)" },
          idempotency_key: {
            type: 'string',
            minLength: 1,
            maxLength: 128,
            description: 'Names "the same request" (else the operation and its params do)',
          },
          session_id: SESSION_ID,
        },
      },
    },
    responses: {
      200: { description: 'Done', data: executeResult },
      202: { description: 'Started; the platform is still finishing it', data: executeResult },
    },
  }),
  message: operation({
    summary: `Send a session message: ${Object.keys(MESSAGE_TYPES).join(', ')}`,
    description: Object.entries(MESSAGE_TYPES)
      .map(([type, what]) => `${type}: ${what}`)
      .join(' '),
    body: {
      schema: {
        type: 'object',
        required: ['type'],
        properties: {
          type: { enum: Object.keys(MESSAGE_TYPES), 'x-error-code': 'unknown_message' },
          cursor: { type: 'string', maxLength: INPUT_LIMITS.cursorLength },
          defaults: DEFAULTS,
          session_id: SESSION_ID,
        },
        if: { required: ['type'], properties: { type: { const: 'set_defaults' } } },
        // The property is declared again where it is required: linters read a subschema on its own.
        then: { required: ['defaults'], properties: { defaults: DEFAULTS } },
      },
    },
    responses: {
      200: {
        description:
          'next_page: a page in the query shape; set_defaults, reset: the session; publish_status: the result',
        data: { anyOf: [queryPage, sessionState, executeResult] },
      },
      202: { description: 'publish_status: still in progress', data: executeResult },
    },
  }),
  state: operation({
    summary: "The session's state: account, last query, cursor, defaults, timestamps",
    description: sessionHint,
    query: SESSION_QUERY,
    responses: { 200: { description: 'The session', data: sessionState } },
  }),
} satisfies Record<string, RouteContract>;
