// Building blocks for configuration schemas, so every platform module states only its fields.
import { JsonSchema } from './types';

export const DIGITS = (max = 32) => `^[0-9]{1,${max}}$`;

export function idField(title: string, pattern: string, description?: string): JsonSchema {
  return { type: 'string', title, pattern, maxLength: 256, ...(description ? { description } : {}) };
}

export function textField(title: string, maxLength = 256, description?: string): JsonSchema {
  return { type: 'string', title, minLength: 1, maxLength, ...(description ? { description } : {}) };
}

/** A secret: never returned unmasked, never stored in a table. */
export function secretField(title: string, maxLength = 4096, description?: string): JsonSchema {
  return {
    type: 'string',
    title,
    minLength: 1,
    maxLength,
    writeOnly: true,
    ...(description ? { description } : {}),
  };
}

export function configSchema(
  title: string,
  properties: Record<string, JsonSchema>,
  required: readonly string[],
): JsonSchema {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title,
    type: 'object',
    properties,
    required: [...required],
    additionalProperties: false,
  };
}

/** The names of the fields a schema marks writeOnly. */
export function secretFieldsOf(schema: JsonSchema): string[] {
  const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
  return Object.entries(props)
    .filter(([, p]) => p.writeOnly === true)
    .map(([name]) => name);
}
