// Pieces shared by the routes' contracts: list metadata, ids, names, timestamps.
import { JsonSchema } from '../catalog/types';
import { ParameterContract } from './contract';
import { INPUT_LIMITS } from './limits';

export const TIMESTAMP: JsonSchema = { type: 'string', format: 'date-time' };
export const NULLABLE_TIMESTAMP: JsonSchema = { type: ['string', 'null'], format: 'date-time' };

/** A name a client gives a record: not blank, at most INPUT_LIMITS.nameLength characters (trimmed when kept). */
export const NAME: JsonSchema = {
  type: 'string',
  minLength: 1,
  maxLength: INPUT_LIMITS.nameLength,
  pattern: '\\S',
  description: `Not blank; at most ${INPUT_LIMITS.nameLength} characters (kept trimmed)`,
};

/** How every list says which of its records it could not read. */
export const UNREADABLE_NOTE =
  'One record that cannot be read never fails a list: the page answers with the others, and metadata.unreadable lists [{id, code: "record_unreadable", error}] for each record left out (empty when none). metadata also carries count and continuation_token (null on the last page).';

export const LIST_METADATA: JsonSchema = {
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

/** The list filters every record list takes (type and status are added per list). */
export const PAGE_PARAMETERS: Record<string, ParameterContract> = {
  limit: {
    description: 'Records per page, 1 to 100 (default 50)',
    schema: { type: 'integer', minimum: 1, maximum: 100 },
  },
  continuation_token: {
    description: 'metadata.continuation_token of the previous page',
    schema: { type: 'string', maxLength: INPUT_LIMITS.cursorLength },
  },
};

/**
 * What a route that calls a platform may answer besides its own errors: the platform's refusal of the request
 * (400), of an object (404), of the grant or its quota (409), its rate limit (429), its failure (502) and its
 * silence past the call's budget (504).
 */
export const PLATFORM_ERRORS = [400, 404, 409, 429, 502, 504];

/** What a DELETE answers. */
export const DELETED: JsonSchema = {
  type: 'object',
  required: ['id', 'deleted'],
  properties: { id: { type: 'string' }, deleted: { const: true } },
};
