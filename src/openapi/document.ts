// The OpenAPI 3.1 document, generated from the route table (each route's contract: request body, parameters,
// headers, responses): nothing written twice. Each connector type's configuration schema is served by the
// catalog routes (GET /v1/connectors/{type}, …/types/{type}/schema), not repeated here. The pipeline checks requests against the
// same contracts, and the tests check every response they receive against this document.
import { JsonSchema } from '../catalog/types';
import { DocumentedRoute, ResponseContract, RouteContract } from './contract';

const ERROR_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: { type: 'string', description: 'A message for a person.' },
    code: { type: 'string', description: 'What went wrong, for a program (bad_request, not_found, …).' },
    details: {
      description:
        'More about it; for a refused request {errors: [{in: body | query | header, path, message}]}, the JSON pointer (or parameter name) of each problem.',
    },
    metadata: { type: 'object', required: ['request_id'], properties: { request_id: { type: 'string' } } },
  },
};

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Bad input: details.errors names each problem (in, path, message)',
  401: 'Missing or invalid bearer token',
  403: 'The token lacks the permission',
  404: "Not found (or another tenant's)",
  409: 'State conflict',
  411: 'A body without Content-Length (chunked)',
  412: 'The record changed since it was read (If-Match)',
  413: 'Body over 1 MiB',
  415: 'Body not JSON',
  429: 'Platform rate limit; see Retry-After',
  502: 'Platform failure',
  503: 'A dependency (storage, the secret store) is unavailable',
  504: 'The platform did not answer within the call’s time budget',
};

const TAGS: Record<string, string> = {
  service: 'Health and this document',
  catalog: 'The connector types and their configuration schemas',
  configurations: "A tenant's app credentials for a platform",
  oauth: 'OAuth connections: a user’s grant on a platform',
  operations: 'Accounts, queries, reports and writes on a connection, in a session',
  reports: 'Unified reports over several connections, and their fields',
  webhooks: 'Subscriptions to lifecycle events, and their deliveries',
};

const DEFAULT_METADATA: JsonSchema = {
  type: 'object',
  required: ['request_id'],
  properties: { request_id: { type: 'string' } },
};

function envelope(data: JsonSchema | undefined, metadata: JsonSchema | undefined): JsonSchema {
  return {
    type: 'object',
    required: ['success', 'data', 'metadata'],
    properties: {
      success: { const: true },
      data: data ?? {},
      metadata: metadata ?? DEFAULT_METADATA,
    },
  };
}

/** The route template as an OpenAPI path, and its parameters. */
export function pathOf(route: string): { path: string; params: string[] } {
  const params: string[] = [];
  const path = route
    .split('/')
    .map((seg) => {
      const m = /^\{\*?(\w+)\}$/.exec(seg);
      if (!m) return seg;
      params.push(m[1]);
      return `{${m[1]}}`;
    })
    .join('/');
  return { path: `/api/${path}`, params };
}

const ERROR_CONTENT = { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } };

function responseObject(status: number, r: ResponseContract): Record<string, unknown> {
  const headers = r.headers
    ? {
        headers: Object.fromEntries(
          Object.entries(r.headers).map(([name, description]) => [
            name,
            { description, schema: { type: 'string' } },
          ]),
        ),
      }
    : {};
  switch (r.kind ?? 'envelope') {
    case 'redirect':
      return { description: r.description, ...headers };
    case 'html':
      return {
        description: r.description,
        ...headers,
        content: {
          'text/html': { schema: { type: 'string' } },
          ...(status >= 400 ? ERROR_CONTENT : {}),
        },
      };
    case 'json':
      return {
        description: r.description,
        ...headers,
        content: { 'application/json': { schema: r.data ?? {} } },
      };
    default:
      return {
        description: r.description,
        ...headers,
        content: { 'application/json': { schema: envelope(r.data, r.metadata) } },
      };
  }
}

/** The error statuses of a route: its own, and those the conventions add (see RouteContract.errors). */
function errorStatuses(fn: DocumentedRoute, params: string[]): number[] {
  const c: RouteContract = fn.contract;
  const statuses = new Set<number>([400, ...(c.errors ?? [])]);
  if (!fn.anonymous) [401, 403, 503].forEach((s) => statuses.add(s));
  if (params.length > 0) statuses.add(404);
  if (c.body) [411, 413, 415].forEach((s) => statuses.add(s));
  return [...statuses].filter((s) => !(s in c.responses)).sort();
}

function parameters(fn: DocumentedRoute, params: string[]) {
  const c = fn.contract;
  const declared = (where: 'query' | 'header', list: RouteContract['query']) =>
    Object.entries(list ?? {}).map(([name, p]) => ({
      name,
      in: where,
      required: p.required ?? false,
      description: p.description,
      schema: p.schema,
    }));
  return [
    ...params.map((name) => ({
      name,
      in: 'path',
      required: true,
      description: name === 'connector_type' ? 'A connector type, in any case' : 'The record id',
      schema: { type: 'string' },
    })),
    ...declared('query', c.query),
    ...declared('header', c.headers),
  ];
}

export function openApiDocument(functions: readonly DocumentedRoute[], serverUrl: string): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const fn of functions) {
    if (fn.route.includes('{*')) continue; // the fallback answering 404/405 is not an operation
    const { path, params } = pathOf(fn.route);
    const item = (paths[path] ??= {});
    const c = fn.contract;
    for (const method of fn.methods) {
      item[method.toLowerCase()] = {
        operationId: fn.methods.length > 1 ? `${fn.name}_${method.toLowerCase()}` : fn.name,
        summary: c.summary,
        ...(c.description ? { description: c.description } : {}),
        tags: [c.tag],
        ...(fn.anonymous ? { security: [] } : {}),
        parameters: parameters(fn, params),
        ...(c.body
          ? {
              requestBody: {
                required: c.body.required !== false,
                content: { 'application/json': { schema: c.body.schema } },
              },
            }
          : {}),
        responses: {
          ...Object.fromEntries(
            Object.entries(c.responses).map(([status, r]) => [status, responseObject(Number(status), r)]),
          ),
          ...Object.fromEntries(
            errorStatuses(fn, params).map((status) => [
              String(status),
              { description: ERROR_DESCRIPTIONS[status] ?? 'Error', content: ERROR_CONTENT },
            ]),
          ),
        },
      };
    }
  }
  const usedTags = new Set(functions.map((f) => f.contract.tag));
  return {
    openapi: '3.1.0',
    info: {
      title: 'Supertrack Connectors',
      version: '1.0.0',
      description:
        'One API over social and advertising platforms: catalog, configurations, OAuth connections, operations, reports and webhooks.',
      license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
    },
    servers: [{ url: serverUrl }],
    security: [{ bearer: [] }],
    tags: Object.entries(TAGS)
      .filter(([name]) => usedTags.has(name))
      .map(([name, description]) => ({ name, description })),
    paths,
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            'An Azure AD access token with the scope Connectors.ReadWrite (or Connectors.Read for GET), or the app role Connectors.ReadWrite.All (Connectors.Read.All).',
        },
      },
      schemas: { Error: ERROR_SCHEMA },
    },
  };
}
