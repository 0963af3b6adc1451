// Configuration validation with AJV: one compiled validator per connector type, errors as
// {path: JSON pointer, message} a person can act on.
import Ajv2020, { ErrorObject, ValidateFunction } from 'ajv/dist/2020';
import { allDefinitions } from './registry';
import { ConnectorType } from './types';

export interface ValidationError {
  path: string;
  message: string;
}

export interface ValidationResult {
  valid: boolean;
  errors: ValidationError[];
}

let validators: Map<ConnectorType, ValidateFunction> | undefined;

function compiled(): Map<ConnectorType, ValidateFunction> {
  if (!validators) {
    const ajv = new Ajv2020({ allErrors: true, strict: true });
    validators = new Map(allDefinitions().map((d) => [d.type, ajv.compile(d.configSchema)]));
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

export function validateConfig(type: ConnectorType, config: unknown): ValidationResult {
  const validate = compiled().get(type);
  if (!validate) throw new Error(`No validator for connector type ${type}`);
  if (validate(config)) return { valid: true, errors: [] };
  return { valid: false, errors: (validate.errors ?? []).map(toValidationError) };
}
