// The OpenAPI 3.1 document, generated from the route table and the catalog schemas: nothing written twice.
import { allDefinitions } from '../platforms/registry/definitions';
import { JsonSchema } from '../catalog/types';
import { HttpFunctionDeclaration } from '../routing/declarations';

const ERROR_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: { type: 'string', description: 'A message for a person.' },
    code: { type: 'string' },
    details: {},
    metadata: { type: 'object', properties: { request_id: { type: 'string' } } },
  },
};

const ERROR_RESPONSES: Record<string, string> = {
  '400': 'Bad input',
  '401': 'Missing or invalid bearer token',
  '403': 'The token lacks the permission',
  '404': "Not found (or another tenant's)",
  '409': 'State conflict',
  '413': 'Body over 1 MiB',
  '415': 'Body not JSON',
  '429': 'Platform rate limit; see Retry-After',
  '502': 'Platform failure',
  '503': 'A dependency is unavailable',
};

function envelope(data: JsonSchema | undefined, metadata: JsonSchema | undefined): JsonSchema {
  return {
    type: 'object',
    required: ['success', 'data', 'metadata'],
    properties: {
      success: { const: true },
      data: data ?? {},
      metadata: metadata ?? {
        type: 'object',
        required: ['request_id'],
        properties: { request_id: { type: 'string' }, session_id: { type: 'string' } },
      },
    },
  };
}

function pathOf(route: string): { path: string; params: string[] } {
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

export function openApiDocument(
  functions: readonly HttpFunctionDeclaration[],
  serverUrl: string,
): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const fn of functions) {
    if (fn.route.includes('{*')) continue; // the fallback answering 404/405 is not an operation
    const { path, params } = pathOf(fn.route);
    const item = (paths[path] ??= {});
    for (const method of fn.methods) {
      const status = String(fn.doc.status ?? 200);
      item[method.toLowerCase()] = {
        operationId: fn.methods.length > 1 ? `${fn.name}_${method.toLowerCase()}` : fn.name,
        summary: fn.doc.summary,
        ...(fn.doc.description ? { description: fn.doc.description } : {}),
        tags: [fn.doc.tag],
        ...(fn.anonymous ? { security: [] } : {}),
        parameters: [
          ...params.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })),
          ...Object.entries(fn.doc.query ?? {}).map(([name, description]) => ({
            name,
            in: 'query',
            required: false,
            description,
            schema: { type: 'string' },
          })),
        ],
        ...(fn.doc.body
          ? { requestBody: { required: true, content: { 'application/json': { schema: fn.doc.body } } } }
          : {}),
        responses: {
          [status]: {
            description: 'Success',
            content: {
              'application/json': {
                schema: fn.anonymous ? (fn.doc.response ?? {}) : envelope(fn.doc.response, fn.doc.metadata),
              },
            },
          },
          ...Object.fromEntries(
            Object.entries(ERROR_RESPONSES).map(([code, description]) => [
              code,
              {
                description,
                content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
              },
            ]),
          ),
        },
      };
    }
  }
  const configSchemas = Object.fromEntries(
    allDefinitions().map((d) => {
      const { $schema: _ignored, ...schema } = d.configSchema;
      return [`${d.type}_config`, schema];
    }),
  );
  return {
    openapi: '3.1.0',
    info: {
      title: 'Supertrack Connectors',
      version: '1.0.0',
      description:
        'One API over social and advertising platforms: catalog, configurations, OAuth connections, operations.',
    },
    servers: [{ url: serverUrl }],
    security: [{ bearer: [] }],
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
      schemas: { Error: ERROR_SCHEMA, ...configSchemas },
    },
  };
}
