// The one Ajv set-up for contract schemas (request checks here, response checks in the tests): JSON Schema
// 2020-12 as OpenAPI 3.1 uses it, strict, with the formats the contract uses and its `x-error-code` annotation.
import Ajv2020, { ErrorObject } from 'ajv/dist/2020';

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function isUri(value: string): boolean {
  try {
    return new URL(value).protocol.length > 1;
  } catch {
    return false;
  }
}

/** A new Ajv for contract schemas. `coerceTypes` for query parameters and headers, which arrive as text. */
export function contractAjv(options: { coerceTypes?: boolean } = {}): Ajv2020 {
  const ajv = new Ajv2020({
    allErrors: true,
    strict: true,
    // `required` inside oneOf ("either this field or that") is how the schemas say alternatives.
    strictRequired: false,
    allowUnionTypes: true,
    verbose: true,
    coerceTypes: options.coerceTypes ?? false,
  });
  ajv.addFormat('date', { type: 'string', validate: (v: string) => DATE.test(v) && !isNaN(Date.parse(v)) });
  ajv.addFormat('date-time', {
    type: 'string',
    validate: (v: string) => DATE_TIME.test(v) && !isNaN(Date.parse(v)),
  });
  ajv.addFormat('uuid', { type: 'string', validate: (v: string) => UUID.test(v) });
  ajv.addFormat('uri', { type: 'string', validate: isUri });
  // The error code a refusal carries when this schema is the one that failed (default bad_request).
  ajv.addKeyword({ keyword: 'x-error-code', schemaType: 'string' });
  return ajv;
}

export interface SchemaProblem {
  /** Where: body, query or header. */
  in: string;
  /** JSON Pointer into the body, or the parameter's name. */
  path: string;
  message: string;
}

function pointerEscape(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Ajv's errors as {in, path, message}, one per place and message, `oneOf` summaries left out. */
export function problemsOf(where: string, errors: readonly ErrorObject[]): SchemaProblem[] {
  const seen = new Set<string>();
  const problems: SchemaProblem[] = [];
  for (const err of errors) {
    if (err.keyword === 'oneOf' || err.keyword === 'anyOf' || err.keyword === 'if') continue;
    const params = err.params as Record<string, unknown>;
    let path = err.instancePath;
    let message = err.message ?? 'is invalid';
    if (err.keyword === 'required') {
      path = `${path}/${pointerEscape(String(params.missingProperty))}`;
      message = 'is required';
    } else if (err.keyword === 'additionalProperties') {
      path = `${path}/${pointerEscape(String(params.additionalProperty))}`;
      message = 'is not a known field';
    } else if (err.keyword === 'enum') {
      message = `must be one of ${(params.allowedValues as unknown[]).map((v) => String(v)).join(', ')}`;
    }
    const problem = { in: where, path: path || '/', message };
    const key = JSON.stringify(problem);
    if (!seen.has(key)) {
      seen.add(key);
      problems.push(problem);
    }
  }
  return problems;
}

/** The `x-error-code` of the schema that failed first, if it names one. */
export function errorCodeOf(errors: readonly ErrorObject[]): string | undefined {
  for (const err of errors) {
    const code = (err.parentSchema as Record<string, unknown> | undefined)?.['x-error-code'];
    if (typeof code === 'string') return code;
  }
  return undefined;
}
