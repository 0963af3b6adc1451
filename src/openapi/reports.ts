// The contracts of the unified report routes, and the report shapes the query route shares, from the same
// schema the service validates each type's reports with.
import { JsonSchema } from '../catalog/types';
import { RouteContract } from './contract';
import { PLATFORM_ERRORS } from './shared';
import { BASE_METRICS, DERIVED_METRICS, DIMENSIONS } from '../platforms/reporting/canonical';
import { reportSchema } from '../platforms/reporting/schema';

export const reportRequest: JsonSchema = {
  ...reportSchema({
    type: 'object',
    description:
      'The conversion definition (Meta: action_types, attribution_windows; Google Ads: source; LinkedIn: fields; TikTok Ads: event, attribution_window_days); GET /v1/connectors/reporting/fields shows each type’s schema and default',
  }),
  description:
    'A unified report: canonical metrics and dimensions, the same on every type with the report capability',
};

export const reportRow: JsonSchema = {
  type: 'object',
  required: ['platform', 'account_id', 'currency'],
  description:
    'One row: the shared columns, date (the bucket’s first day, account-local), <dimension>_id and <dimension>_name per dimension, one number per metric (null where undefined, never a filler 0)',
  properties: {
    platform: { type: 'string', description: 'The connector type' },
    account_id: { type: 'string' },
    currency: { type: 'string', description: 'ISO 4217 of spend, conversion_value and the money ratios' },
    date: { type: 'string', format: 'date' },
    ...Object.fromEntries(
      DIMENSIONS.filter((d) => d !== 'date').flatMap((d) => [
        [`${d}_id`, { type: ['string', 'null'] }],
        [`${d}_name`, { type: ['string', 'null'] }],
      ]),
    ),
    ...Object.fromEntries(
      [...BASE_METRICS, ...DERIVED_METRICS].map((m) => [m, { type: ['number', 'null'] }]),
    ),
  },
};

export const reportInfo: JsonSchema = {
  type: 'object',
  required: [
    'platform',
    'account_id',
    'currency',
    'time_zone',
    'date_range',
    'conversions',
    'restatable_from',
    'warnings',
  ],
  properties: {
    platform: { type: 'string' },
    account_id: { type: 'string' },
    currency: { type: 'string' },
    time_zone: { type: 'string', description: 'IANA zone the dates are reckoned in (LinkedIn: UTC)' },
    date_range: {
      type: 'object',
      properties: { start: { type: 'string', format: 'date' }, end: { type: 'string', format: 'date' } },
    },
    time_increment: { enum: ['day', 'week', 'month', 'all'] },
    conversions: { type: 'object', description: 'The conversion definition used' },
    restatable_from: {
      type: ['string', 'null'],
      format: 'date',
      description: 'The first date whose figures the platform may still change; null when all are final',
    },
    warnings: { type: 'array', items: { type: 'string' } },
  },
};

const named = (items: JsonSchema): JsonSchema => ({ type: 'array', items });

const CONNECTION_ID: JsonSchema = { type: 'string', minLength: 1, maxLength: 64 };

/** The body of POST /v1/connectors/reports, as its schema below states it: a first page, or the next one. */
export type ReportsInput =
  | {
      connections: Array<string | { id: string; account_id?: string }>;
      report: Record<string, unknown>;
      cursor?: never;
    }
  | { cursor: string; connections?: never; report?: never };

export const reportContracts = {
  across: {
    summary:
      'One report over several connections: one table, each connection’s data.report, per-connection errors',
    tag: 'reports',
    description:
      'Connections run concurrently (a few at a time). One failing does not fail the others (200 with errors), unless all fail. {"cursor": next_cursor} as the body fetches the next page.',
    body: {
      schema: {
        oneOf: [
          {
            type: 'object',
            required: ['connections', 'report'],
            additionalProperties: false,
            properties: {
              connections: {
                type: 'array',
                minItems: 1,
                maxItems: 20,
                items: {
                  oneOf: [
                    {
                      ...CONNECTION_ID,
                      description: 'A connection id (the report’s account_id, or the platform’s)',
                    },
                    {
                      type: 'object',
                      required: ['id'],
                      additionalProperties: false,
                      properties: { id: CONNECTION_ID, account_id: CONNECTION_ID },
                      description: 'A connection and the account the report runs on there',
                    },
                  ],
                },
              },
              report: reportRequest,
            },
          },
          {
            type: 'object',
            required: ['cursor'],
            additionalProperties: false,
            properties: { cursor: { type: 'string', maxLength: 16_383 } },
          },
        ],
      },
    },
    errors: PLATFORM_ERRORS,
    responses: {
      200: {
        description: 'One table over the connections, each one’s report, and which failed',
        data: {
          type: 'object',
          required: ['rows', 'reports', 'errors', 'next_cursor'],
          properties: {
            rows: named({
              ...reportRow,
              required: ['connection_id', ...(reportRow.required as string[])],
              properties: { connection_id: { type: 'string' }, ...(reportRow.properties as object) },
            }),
            reports: named({
              ...reportInfo,
              properties: { connection_id: { type: 'string' }, ...(reportInfo.properties as object) },
            }),
            errors: named({
              type: 'object',
              required: ['connection_id', 'error'],
              properties: {
                connection_id: { type: 'string' },
                error: { type: 'string' },
                code: { type: 'string' },
              },
            }),
            next_cursor: { type: ['string', 'null'] },
          },
        },
      },
    },
  },
  fields: {
    summary: 'The canonical metrics and dimensions of reports, and what each is on each platform',
    tag: 'reports',
    responses: {
      200: {
        description: 'The canonical fields and their names on each platform',
        data: {
          type: 'object',
          required: ['metrics', 'dimensions'],
          properties: {
            metrics: named({
              type: 'object',
              required: ['name', 'description', 'unit', 'additive', 'types'],
              properties: {
                name: { type: 'string' },
                description: { type: 'string' },
                unit: { enum: ['currency', 'count', 'ratio'] },
                additive: { type: 'boolean' },
                derived_from: named({ type: 'string' }),
                types: { type: 'object', additionalProperties: { type: 'string' } },
              },
            }),
            dimensions: named({
              type: 'object',
              required: ['name', 'description', 'types'],
              properties: {
                name: { type: 'string' },
                description: { type: 'string' },
                columns: named({ type: 'string' }),
                types: { type: 'object', additionalProperties: { type: 'string' } },
              },
            }),
            types: named({ type: 'object' }),
          },
        },
      },
    },
  },
} satisfies Record<string, RouteContract>;
