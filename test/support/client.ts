// The typed client of the end-to-end tests, generated from the document the app serves (`npm run lint` writes
// test/support/openapi.generated.ts from it before type-checking), so a test that drifts from the contract fails
// to compile. Every response it receives is checked against the served document's schema for its route and
// status (the middleware below): an undocumented status, content type or shape fails the test that got it.
import createClient, { Middleware } from 'openapi-fetch';
import { ValidateFunction } from 'ajv/dist/2020';
import { contractAjv, problemsOf } from '../../src/http/schemaValidator';
import { RoutableEntry, Router } from '../../src/routing/router';
import type { paths } from './openapi.generated';
import { httpFunctions } from '../../functions/routes';
import { openApiDocument } from '../../src/openapi/document';

export type TypedClient = ReturnType<typeof createClient<paths>>;

type Json = Record<string, unknown>;

/** The checks of one served document, compiled on first use per route, method and status. */
export class ResponseChecker {
  private readonly ajv = contractAjv();
  private readonly compiled = new Map<string, ValidateFunction>();
  /** How many responses were checked (a test can assert its checks ran). */
  checked = 0;

  constructor(readonly document: Json) {}

  /** What is wrong with one response for the documented route `schemaPath` (its OpenAPI path); empty when none. */
  problems(
    schemaPath: string,
    method: string,
    status: number,
    contentType: string | null,
    body: unknown,
  ): string[] {
    this.checked += 1;
    const operation = (this.document.paths as Record<string, Record<string, Json>>)[schemaPath]?.[
      method.toLowerCase()
    ];
    if (!operation) return [`${method} ${schemaPath} is not in the document`];
    const response = (operation.responses as Record<string, Json>)[String(status)];
    if (!response) return [`${method} ${schemaPath} answered ${status}, which the document does not list`];
    const content = response.content as Record<string, { schema?: Json }> | undefined;
    if (!content)
      return body === undefined || body === '' ? [] : [`${status} has a body the document does not give`];
    const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
    const media = content[type];
    if (!media)
      return [
        `${status} answered ${type || 'no content type'}; the document gives ${Object.keys(content).join(', ')}`,
      ];
    if (type !== 'application/json' || !media.schema) return [];
    const key = `${schemaPath} ${method} ${status}`;
    let validate = this.compiled.get(key);
    if (!validate) {
      validate = this.ajv.compile(this.resolved(media.schema) as Json);
      this.compiled.set(key, validate);
    }
    if (validate(body)) return [];
    return problemsOf('response', validate.errors ?? []).map((p) => `${p.path} ${p.message}`);
  }

  /**
   * The documented route (its OpenAPI path) a concrete request path under /api falls on, the way the hosts route
   * it (a literal segment beats a parameter); undefined for a path no route takes (the fallback's 404/405).
   */
  routeOf(method: string, path: string): string | undefined {
    this.router ??= new Router(
      Object.entries(this.document.paths as Record<string, Json>).map(([documented, item]) => ({
        route: documented.replace(/^\/api\//, ''),
        methods: Object.keys(item).map((m) => m.toUpperCase()),
      })),
    );
    const match = this.router.match(method, path.replace(/^\/api\//, '').split('?')[0]);
    return match.kind === 'found' ? `/api/${match.entry.route}` : undefined;
  }

  private router?: Router<RoutableEntry>;

  /** The schema with the document's internal $refs replaced by what they point to. */
  private resolved(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolved(v));
    if (typeof value !== 'object' || value === null) return value;
    const ref = (value as Json).$ref;
    if (typeof ref === 'string' && ref.startsWith('#/')) {
      const target = ref
        .slice(2)
        .split('/')
        .reduce<unknown>(
          (at, part) => (at as Json)[part.replace(/~1/g, '/').replace(/~0/g, '~')],
          this.document,
        );
      return this.resolved(target);
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.resolved(v)]));
  }
}

const checkers = new Map<string, Promise<ResponseChecker>>();

/** The checker of the document served at `baseUrl` (fetched once per host). */
export function checkerOf(baseUrl: string): Promise<ResponseChecker> {
  let checker = checkers.get(baseUrl);
  if (!checker) {
    checker = fetch(`${baseUrl}/api/v1/openapi.json`).then(async (res) => {
      if (res.status !== 200) throw new Error(`GET /api/v1/openapi.json answered ${res.status}`);
      return new ResponseChecker((await res.json()) as Json);
    });
    checkers.set(baseUrl, checker);
    checker.catch(() => checkers.delete(baseUrl)); // a host that is not up yet (or any more) is asked again
  }
  return checker;
}

let generated: ResponseChecker | undefined;

/**
 * The checker of the document the route table generates, in this process: the same code the hosts serve it
 * from (reports-across.test.ts checks the served one equals it), without a request to the host, which tests that count the
 * host's requests (observability) would see.
 */
export function generatedChecker(): ResponseChecker {
  generated ??= new ResponseChecker(JSON.parse(JSON.stringify(openApiDocument(httpFunctions, '/'))) as Json);
  return generated;
}

/** Checks every response against the served document; a mismatch throws, failing the request's test. */
export function responseCheck(baseUrl: string): Middleware {
  return {
    async onResponse({ request, response, schemaPath }) {
      const checker = await checkerOf(baseUrl);
      const text = await response.clone().text();
      const type = response.headers.get('content-type');
      let body: unknown = text;
      if (type?.includes('json') && text) body = JSON.parse(text);
      const problems = checker.problems(
        schemaPath,
        request.method,
        response.status,
        type,
        text ? body : undefined,
      );
      if (problems.length > 0) {
        throw new Error(
          `${request.method} ${schemaPath} → ${response.status} does not match the document:\n  ${problems.join('\n  ')}\n${text.slice(0, 2000)}`,
        );
      }
      return undefined;
    },
  };
}

/**
 * A typed client of the host at `url` (the host's origin, not /api), with the bearer token when one is given.
 * Redirects are not followed (the OAuth callback's 302 is an answer).
 */
export function typedClient(url: string, token?: string): TypedClient {
  const client = createClient<paths>({
    baseUrl: url,
    redirect: 'manual',
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  client.use(responseCheck(url));
  return client;
}

/** The success body of a response with the expected status; anything else throws with the answer shown. */
export function expectOk<D, E>(
  res: { data?: D; error?: E; response: Response },
  status = 200,
): NonNullable<D> {
  if (res.response.status !== status || res.data === undefined || res.data === null) {
    throw new Error(
      `expected ${status}, got ${res.response.status}: ${JSON.stringify(res.error ?? res.data)}`,
    );
  }
  return res.data as NonNullable<D>;
}

/** The error body of a response with the expected status; anything else throws with the answer shown. */
export function expectError<D, E>(
  res: { data?: D; error?: E; response: Response },
  status: number,
): NonNullable<E> {
  if (res.response.status !== status || res.error === undefined || res.error === null) {
    throw new Error(
      `expected ${status}, got ${res.response.status}: ${JSON.stringify(res.data ?? res.error)}`,
    );
  }
  return res.error as NonNullable<E>;
}
