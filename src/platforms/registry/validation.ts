// Configuration validation with AJV: one compiled validator per connector type, errors as
// {path: JSON pointer, message} a person can act on.
import Ajv2020, { ErrorObject, ValidateFunction } from 'ajv/dist/2020';
import { reporterOf } from './reporters';
import { reportSchema } from '../reporting/schema';
import { allDefinitions } from './definitions';
import { ConnectorType } from '../../catalog/types';

export interface ValidationError {
  path: string;
  message: string;
}

export interface ValidationResult {
  valid: boolean;
  errors: ValidationError[];
}

let validators: Map<string, ValidateFunction> | undefined;

/** Every schema of the catalog, compiled once: configurations, queries and execute parameters. */
function compiled(): Map<string, ValidateFunction> {
  if (!validators) {
    // strictRequired would refuse `required` inside not/oneOf ("either this field or that"), which the schemas use.
    const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
    validators = new Map();
    for (const d of allDefinitions()) {
      validators.set(`${d.type}:config`, ajv.compile(d.configSchema));
      validators.set(`${d.type}:query`, ajv.compile(d.operations.query));
      const reporter = reporterOf(d.type);
      if (reporter)
        validators.set(`${d.type}:report`, ajv.compile(reportSchema(reporter.mapping.conversionsSchema)));
      for (const [name, op] of Object.entries(d.operations.execute)) {
        validators.set(`${d.type}:execute:${name}`, ajv.compile(op.params));
      }
    }
  }
  return validators;
}

function pointerEscape(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

function toValidationError(err: ErrorObject): ValidationError {
  const params = err.params as Record<string, unknown>;
  switch (err.keyword) {
    case 'required':
      return {
        path: `${err.instancePath}/${pointerEscape(String(params.missingProperty))}`,
        message: 'is required',
      };
    case 'additionalProperties':
      return {
        path: `${err.instancePath}/${pointerEscape(String(params.additionalProperty))}`,
        message: 'is not a field of this connector type',
      };
    case 'pattern':
      return { path: err.instancePath || '/', message: `must match the pattern ${String(params.pattern)}` };
    default:
      return { path: err.instancePath || '/', message: err.message ?? 'is invalid' };
  }
}

function validateWith(key: string, value: unknown): ValidationResult {
  const validate = compiled().get(key);
  if (!validate) throw new Error(`No validator ${key}`);
  if (validate(value)) return { valid: true, errors: [] };
  return { valid: false, errors: (validate.errors ?? []).map(toValidationError) };
}

export function validateConfig(type: ConnectorType, config: unknown): ValidationResult {
  return validateWith(`${type}:config`, config);
}

export function validateQuery(type: ConnectorType, query: unknown): ValidationResult {
  return validateWith(`${type}:query`, query);
}

/** Undefined when the type has no such operation. */
export function validateExecute(
  type: ConnectorType,
  operation: string,
  params: unknown,
): ValidationResult | undefined {
  if (!compiled().has(`${type}:execute:${operation}`)) return undefined;
  return validateWith(`${type}:execute:${operation}`, params);
}

/** Undefined when the type does not answer `report` queries. */
export function validateReport(type: ConnectorType, report: unknown): ValidationResult | undefined {
  if (!compiled().has(`${type}:report`)) return undefined;
  return validateWith(`${type}:report`, report);
}
