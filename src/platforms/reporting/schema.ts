// The JSON Schema of a `report` body, shared by every type; report.conversions is each type's own.
import { JsonSchema } from '../../catalog/types';
import { BASE_METRICS, DERIVED_METRICS, DIMENSIONS, INCREMENTS } from './canonical';
import { DATE_PRESETS } from './dates';

const DAY = { type: 'string', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' };

export const REPORT_MAX_LIMIT = 10_000;

export function reportSchema(conversions: JsonSchema): JsonSchema {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['metrics'],
    properties: {
      metrics: {
        type: 'array',
        minItems: 1,
        uniqueItems: true,
        items: { enum: [...BASE_METRICS, ...DERIVED_METRICS] },
      },
      dimensions: { type: 'array', uniqueItems: true, items: { enum: [...DIMENSIONS] } },
      date_range: {
        type: 'object',
        additionalProperties: false,
        required: ['start', 'end'],
        properties: { start: DAY, end: DAY },
      },
      date_preset: { enum: [...DATE_PRESETS] },
      time_increment: { enum: [...INCREMENTS] },
      account_id: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_:-]+$' },
      conversions,
      limit: { type: 'integer', minimum: 1, maximum: REPORT_MAX_LIMIT },
    },
    oneOf: [{ required: ['date_range'] }, { required: ['date_preset'] }],
  };
}
