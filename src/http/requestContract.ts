// The request half of a route's contract, checked before the handler runs: the JSON body against its schema,
// declared query parameters and headers against theirs. A refusal is 400 in the contract's envelope, with
// the place of each problem (details.errors: [{in, path, message}]).
import { ValidateFunction } from 'ajv/dist/2020';
import { jsonBody } from './body';
import { ParameterContract, RequestContract } from '../openapi/contract';
import { Middleware } from './context';
import { badRequest } from './errors';
import { contractAjv, errorCodeOf, problemsOf, SchemaProblem } from './schemaValidator';

type Schema = Record<string, unknown>;

let bodyAjv: ReturnType<typeof contractAjv> | undefined;
let textAjv: ReturnType<typeof contractAjv> | undefined;

function parametersSchema(parameters: Record<string, ParameterContract>): Schema {
  return {
    type: 'object',
    properties: Object.fromEntries(Object.entries(parameters).map(([name, p]) => [name, p.schema])),
    required: Object.entries(parameters)
      .filter(([, p]) => p.required)
      .map(([name]) => name),
  };
}

function refusal(problems: SchemaProblem[], code: string) {
  const shown = problems
    .slice(0, 5)
    .map((p) => `${p.in} ${p.path} ${p.message}`)
    .join('; ');
  return badRequest(`The request is not valid: ${shown}${problems.length > 5 ? '; …' : ''}.`, {
    code,
    details: { errors: problems.slice(0, 50) },
  });
}

/** The middleware checking one route's request; compiled once, when the route's handler is built. */
export function requestCheck(contract: RequestContract): Middleware | undefined {
  const { body, query, headers } = contract;
  if (!body && !query && !headers) return undefined;
  bodyAjv ??= contractAjv();
  textAjv ??= contractAjv({ coerceTypes: true });
  const checkBody: ValidateFunction | undefined = body ? bodyAjv.compile(body.schema) : undefined;
  const checkQuery = query ? textAjv.compile(parametersSchema(query)) : undefined;
  const headerNames = Object.keys(headers ?? {});
  const checkHeaders = headers ? textAjv.compile(parametersSchema(headers)) : undefined;

  return async (ctx, next) => {
    if (checkHeaders) {
      const values: Record<string, string> = {};
      for (const name of headerNames) {
        const value = ctx.request.headers.get(name);
        if (value !== null) values[name] = value;
      }
      if (!checkHeaders(values)) {
        const errors = checkHeaders.errors ?? [];
        throw refusal(
          problemsOf('header', errors).map((p) => ({ ...p, path: p.path.replace(/^\//, '') })),
          errorCodeOf(errors) ?? 'bad_request',
        );
      }
    }
    if (checkQuery) {
      const values: Record<string, string> = {};
      for (const [name, value] of ctx.query) values[name] = value;
      if (!checkQuery(values)) {
        const errors = checkQuery.errors ?? [];
        throw refusal(
          problemsOf('query', errors).map((p) => ({ ...p, path: p.path.replace(/^\//, '') })),
          errorCodeOf(errors) ?? 'bad_request',
        );
      }
    }
    if (body && checkBody) {
      const value = await jsonBody(ctx);
      if (value === undefined) {
        if (body.required !== false)
          throw badRequest('A JSON object body is required.', { code: 'body_required' });
      } else if (!checkBody(value)) {
        const errors = checkBody.errors ?? [];
        const rootType = errors.some((e) => e.instancePath === '' && e.keyword === 'type');
        throw refusal(
          problemsOf('body', errors),
          rootType ? 'invalid_body' : (errorCodeOf(errors) ?? 'bad_request'),
        );
      }
    }
    return next();
  };
}
