// The local host: serves the declared functions the way the Functions host does, handing each handler a
// real HttpRequest and InvocationContext of @azure/functions and writing back its HttpResponseInit.
import { HttpRequest, HttpResponse, InvocationContext, LogLevel } from '@azure/functions';
import { randomUUID } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { unmatchedResponse } from '../src/handlers/fallback';
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

function readBody(req: IncomingMessage): Promise<Buffer> {
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

function headerRecord(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
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
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
    const method = (req.method ?? 'GET').toUpperCase();
    const headers = headerRecord(req);
    const requestId = requestIdOf(new Headers(headers));
    const reply = (init: ReturnType<typeof failure>) => writeResponse(res, new HttpResponse(init));

    let body: Buffer;
    try {
      body = await readBody(req);
    } catch (err) {
      if (err instanceof BodyTooLarge) {
        res.setHeader('connection', 'close');
        await reply(
          failure(requestId, 413, {
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
    const match = underPrefix
      ? router.match(method, url.pathname.slice(prefix.length))
      : ({ kind: 'not_found' } as const);
    if (match.kind !== 'found') {
      const error = unmatchedResponse(match);
      await reply(
        failure(requestId, error.status, { error: error.message, code: error.code }, error.headers),
      );
      return;
    }
    const fn = match.entry;
    const invocationId = randomUUID();
    const request = new HttpRequest({
      method,
      url: url.toString(),
      headers,
      params: match.params,
      ...(body.length > 0 && method !== 'GET' ? { body: { bytes: body } } : {}),
    });
    const invocation = new InvocationContext({
      invocationId,
      functionName: fn.name,
      logHandler: logHandlerFor(options.log, fn.name, invocationId),
    });
    const init = await azureHandlerOf(fn)(request, invocation);
    await writeResponse(res, new HttpResponse(init));
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
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, resolve);
  });

  const timers = (options.timers ?? []).map((t) =>
    setInterval(() => {
      const invocationId = randomUUID();
      const invocation = new InvocationContext({
        invocationId,
        functionName: t.name,
        logHandler: logHandlerFor(options.log, t.name, invocationId),
      });
      t.handler(invocation).catch((err: unknown) =>
        options.log(
          'error',
          t.name,
          invocationId,
          `timer failed: ${err instanceof Error ? err.message : String(err)}`,
        ),
      );
    }, t.intervalMs).unref(),
  );

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
