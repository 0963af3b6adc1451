// A real HTTP proxy in front of a service (Azurite) that can fail chosen requests, to show that a failure
// of storage in the middle of an operation leaves nothing half-made.
import { createServer, request, Server } from 'node:http';
import { AddressInfo } from 'node:net';

export interface Fault {
  method: string;
  /** Matched against the request path (no query). */
  path: RegExp;
  status: number;
}

export interface FaultProxy {
  /** http://127.0.0.1:PORT */
  url: string;
  /** The next request matching the fault answers with its status instead of reaching the target. */
  failNext(fault: Fault): void;
  /** Requests that were failed so far. */
  failed: Array<{ method: string; path: string }>;
  close(): Promise<void>;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const faults: Fault[] = [];
  const failed: Array<{ method: string; path: string }> = [];
  const to = new URL(target);
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const i = faults.findIndex((f) => f.method === req.method && f.path.test(decodeURIComponent(path)));
    if (i >= 0) {
      const [fault] = faults.splice(i, 1);
      failed.push({ method: req.method ?? '', path });
      req.resume();
      res.writeHead(fault.status, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ 'odata.error': { code: 'ServerBusy', message: { value: 'injected fault' } } }),
      );
      return;
    }
    const upstream = request(
      { host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    failNext: (fault) => faults.push(fault),
    failed,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The same connection string with its TableEndpoint pointed at the proxy. */
export function throughProxy(connectionString: string, proxyUrl: string): string {
  return connectionString.replace(/TableEndpoint=http:\/\/[^/]+/, `TableEndpoint=${proxyUrl}`);
}
