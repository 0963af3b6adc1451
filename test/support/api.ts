// A small client for the service's API in tests: JSON in, JSON out, bearer token attached. Untyped, for hostile
// and malformed requests (the main flows use the typed client, test/support/client.ts); its answers are checked
// against the document all the same (as the route table generates it), whenever the path is a documented route.
import { generatedChecker } from './client';

export interface ApiResponse {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON shapes
  body: any;
}

export type Api = (
  method: string,
  path: string,
  options?: { body?: unknown; token?: string | null; headers?: Record<string, string> },
) => Promise<ApiResponse>;

export function apiClient(base: string, defaultToken: string): Api {
  return async (method, path, options = {}) => {
    const headers: Record<string, string> = { ...options.headers };
    const token = options.token === undefined ? defaultToken : options.token;
    if (token) headers.authorization = `Bearer ${token}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    const res = await fetch(`${base}${path}`, { method, headers, body, redirect: 'manual' });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    checkAnswer(method, path, res, text ? parsed : undefined);
    return { status: res.status, headers: res.headers, body: parsed };
  };
}

/** A fetch response's JSON body, typed loosely for assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON shapes
export async function readJson(res: Response): Promise<any> {
  return res.json();
}

/** Throws when an answer of a documented route does not match the document the host serves. */
function checkAnswer(method: string, path: string, res: Response, body: unknown): void {
  const checker = generatedChecker();
  const route = checker.routeOf(method, `/api${path}`);
  if (!route) return; // no route takes it: the fallback's 404/405, not an operation of the document
  const problems = checker.problems(route, method, res.status, res.headers.get('content-type'), body);
  if (problems.length > 0) {
    throw new Error(
      `${method} ${path} → ${res.status} does not match the document (${route}):\n  ${problems.join('\n  ')}\n${JSON.stringify(body)?.slice(0, 1500)}`,
    );
  }
}
