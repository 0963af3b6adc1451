// The local host: serves the declared functions the way the Functions host does, handing each handler a
// real HttpRequest and InvocationContext of @azure/functions and writing back its HttpResponseInit.
import { HttpRequest, HttpResponse, HttpResponseInit, InvocationContext, LogLevel } from '@azure/functions';
import { randomUUID } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { unmatchedResponse } from '../src/handlers/fallback';
import { answerParserError, requestUrl } from './edge';
import { functionsHeaders, functionsQuery, passesBody } from './functionsRequest';
import { MAX_BODY_BYTES } from '../src/http/body';
import { failure } from '../src/http/envelope';
import { requestIdOf } from '../src/http/requestId';
import { azureHandlerOf } from '../src/routing/azureHandler';
import { HttpFunctionDeclaration, TimerFunctionDeclaration } from '../src/routing/declarations';
import { Router } from '../src/routing/router';

export type Log = (level: LogLevel, functionName: string, invocationId: string, message: string) => void;

/** A handler for paths outside the route prefix (the dev issuer); returns false when it does not take the path. */
export type SideRoute = (req: IncomingMessage, res: ServerResponse, body: Buffer) => Promise<boolean>;

export interface LocalHostOptions {
  port: number;
  /** The interface to listen on; 127.0.0.1 when not given. */
  host?: string;
  routePrefix: string;
  functions: readonly HttpFunctionDeclaration[];
  timers?: readonly TimerFunctionDeclaration[];
  sideRoutes?: readonly SideRoute[];
  log: Log;
}

export interface LocalHost {
  port: number;
  close(): Promise<void>;
}

class BodyTooLarge extends Error {}

/** The body, when the Functions host would pass it (see passesBody); any other body is read and dropped. */
function readBody(req: IncomingMessage): Promise<Buffer> {
  if (!passesBody(req)) {
    return new Promise((resolve, reject) => {
      req.on('end', () => resolve(Buffer.alloc(0)));
      req.on('error', reject);
      req.resume();
    });
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.removeAllListeners('data');
        req.resume();
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

async function writeResponse(res: ServerResponse, response: HttpResponse): Promise<void> {
  const body = Buffer.from(await response.arrayBuffer());
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  if (response.cookies.length > 0) {
    headers['set-cookie'] = response.cookies.map((c) => `${c.name}=${c.value}`);
  }
  headers['content-length'] = String(body.length);
  res.writeHead(response.status, headers);
  res.end(body);
}

// Statuses the fetch Response takes (200-599) less those that cannot have a body.
const NULL_BODY_STATUSES = new Set([204, 205, 304]);
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const HEADER_VALUE = /^(?:[\x21-\x7e\x80-\xff](?:[\t\x20-\x7e\x80-\xff]*[\x21-\x7e\x80-\xff])?)?$/;

/**
 * The bytes `writeResponse(res, new HttpResponse(init))` would write, worked out without the fetch
 * Response and its body stream, for the common case: a JSON body, a plain record of well-formed headers,
 * no cookies. Undefined for anything else, which takes the general path. Same status, same headers (names
 * lower-cased and sorted as `Headers` iterates them, content-type defaulted, content-length last), same body.
 */
function plainJsonResponse(
  init: HttpResponseInit,
): { status: number; headers: Record<string, string>; body: Buffer } | undefined {
  const status = init.status ?? 200;
  if (init.jsonBody === undefined || init.jsonBody === null) return undefined;
  if (!Number.isInteger(status) || status < 200 || status > 599 || NULL_BODY_STATUSES.has(status)) {
    return undefined;
  }
  if (init.cookies !== undefined && init.cookies.length > 0) return undefined;
  const given = init.headers ?? {};
  if (Object.getPrototypeOf(given) !== Object.prototype) return undefined;
  const entries: [string, string][] = [];
  const seen = new Set<string>();
  for (const [name, value] of Object.entries(given as Record<string, unknown>)) {
    const lower = name.toLowerCase();
    if (typeof value !== 'string' || !HEADER_NAME.test(name) || !HEADER_VALUE.test(value)) return undefined;
    if (seen.has(lower) || lower === 'content-length' || lower === 'set-cookie') return undefined;
    seen.add(lower);
    entries.push([lower, value]);
  }
  if (!seen.has('content-type')) entries.push(['content-type', 'application/json']);
  entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const body = Buffer.from((JSON.stringify(init.jsonBody) as string | undefined) ?? '', 'utf8');
  const headers: Record<string, string> = {};
  for (const [name, value] of entries) headers[name] = value;
  headers['content-length'] = String(body.length);
  return { status, headers, body };
}

async function writeInit(res: ServerResponse, init: HttpResponseInit): Promise<void> {
  const plain = plainJsonResponse(init);
  if (!plain) return writeResponse(res, new HttpResponse(init));
  res.writeHead(plain.status, plain.headers);
  res.end(plain.body);
}

function logHandlerFor(log: Log, functionName: string, invocationId: string) {
  return (level: LogLevel, ...args: unknown[]) =>
    log(
      level,
      functionName,
      invocationId,
      args.map((a) => (typeof a === 'string' ? a : String(a))).join(' '),
    );
}

export async function startLocalHost(options: LocalHostOptions): Promise<LocalHost> {
  const router = new Router(options.functions);
  const prefix = `/${options.routePrefix.replace(/^\/|\/$/g, '')}`;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = (req.method ?? 'GET').toUpperCase();
    const headers = functionsHeaders(req);
    // Only the host's own answers (413, 404, 405) need the request id here; the pipeline works out its own.
    const requestId = () => requestIdOf(new Headers(headers));
    const reply = (init: ReturnType<typeof failure>) => writeInit(res, init);
    const url = requestUrl(req);
    if (!url) {
      req.resume();
      res.setHeader('connection', 'close');
      await reply(
        failure(requestId(), 400, { error: 'The Host header is not a valid host.', code: 'invalid_host' }),
      );
      return;
    }

    let body: Buffer;
    try {
      body = await readBody(req);
    } catch (err) {
      if (err instanceof BodyTooLarge) {
        res.setHeader('connection', 'close');
        await reply(
          failure(requestId(), 413, {
            error: 'The request body is larger than 1 MiB.',
            code: 'payload_too_large',
          }),
        );
        return;
      }
      throw err;
    }
    for (const side of options.sideRoutes ?? []) {
      if (await side(req, res, body)) return;
    }

    const lower = url.pathname.toLowerCase();
    const underPrefix = lower === prefix || lower.startsWith(`${prefix}/`);
    if (!underPrefix) {
      // No function answers outside the route prefix: the Functions host's own empty answers (its home page
      // at "/" is turned off by AzureWebJobsDisableHomepage, which answers 204 instead).
      if (url.pathname === '/') res.writeHead(204);
      else res.writeHead(404, { 'content-length': '0' });
      res.end();
      return;
    }
    const match = router.match(method, url.pathname.slice(prefix.length));
    if (match.kind !== 'found') {
      const error = unmatchedResponse(match);
      await reply(
        failure(requestId(), error.status, { error: error.message, code: error.code }, error.headers),
      );
      return;
    }
    const fn = match.entry;
    const invocationId = randomUUID();
    const request = new HttpRequest({
      method,
      url: url.toString(),
      headers,
      query: functionsQuery(url),
      params: match.params,
      ...(body.length > 0 && method !== 'GET' && method !== 'HEAD' ? { body: { bytes: body } } : {}),
    });
    const invocation = new InvocationContext({
      invocationId,
      functionName: fn.name,
      logHandler: logHandlerFor(options.log, fn.name, invocationId),
    });
    const init = await azureHandlerOf(fn)(request, invocation);
    await writeInit(res, init);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      options.log(
        'error',
        'host',
        '-',
        `local host failure: ${err instanceof Error ? err.message : String(err)}`,
      );
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'An unexpected error occurred.' }));
      } else {
        res.destroy();
      }
    });
  });
  server.on('clientError', answerParserError);
  // Idle connections are kept 130 s, as the Functions host's Kestrel keeps them: far past a client's own idle
  // timer (undici: 4 s, or this hint less a second), so a client never reuses a connection the host is just
  // closing ("other side closed"), which the old 5 s made likely on a loaded machine. (Node checks
  // headersTimeout only while a request is arriving, not on idle connections.)
  server.keepAliveTimeout = 130_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', resolve);
  });

  const timers = (options.timers ?? []).map((t) => {
    // One run at a time, as the Functions host runs a timer function: a tick that finds the last run still
    // going is skipped (and says so), never started beside it.
    let running = false;
    return setInterval(() => {
      const invocationId = randomUUID();
      if (running) {
        options.log('warning', t.name, invocationId, 'timer skipped: the previous run is still going');
        return;
      }
      running = true;
      const invocation = new InvocationContext({
        invocationId,
        functionName: t.name,
        logHandler: logHandlerFor(options.log, t.name, invocationId),
      });
      t.handler(invocation)
        .catch((err: unknown) =>
          options.log(
            'error',
            t.name,
            invocationId,
            `timer failed: ${err instanceof Error ? err.message : String(err)}`,
          ),
        )
        .finally(() => {
          running = false;
        });
    }, t.intervalMs).unref();
  });

  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        timers.forEach(clearInterval);
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 2000).unref();
      }),
  };
}
