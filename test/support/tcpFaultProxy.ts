// A TCP proxy between the app and a store (Azurite, or the Key Vault fake with TLS ended on both sides) that
// loses what a network can lose: it forwards a request, lets the store process it, and then drops the answer
// (the connection is reset before a byte of it reaches the app), or it holds every answer back a while. It reads
// just enough of HTTP/1.1 (request heads and Content-Length) to know which request an answer belongs to.
import { connect as netConnect, createServer as netServer, Server, Socket } from 'node:net';
import { connect as tlsConnect, createServer as tlsServer } from 'node:tls';
import { AddressInfo } from 'node:net';

export interface SeenRequest {
  method: string;
  /** The request target without the query. */
  path: string;
}

export interface TcpFaultProxy {
  /** http://127.0.0.1:PORT, or https:// when TLS is ended at the proxy. */
  url: string;
  /**
   * The next `times` requests matching method and path are forwarded and processed, and their answers never
   * arrive: the app's connection is reset as the store begins to answer.
   */
  dropAnswer(method: string, path: RegExp, times?: number): void;
  /** Every answer is held back this many milliseconds before it is forwarded (0: none). */
  delayAnswers(ms: number): void;
  /** Requests forwarded so far, in order. */
  seen: SeenRequest[];
  /** Requests whose answers were dropped. */
  dropped: SeenRequest[];
  close(): Promise<void>;
}

export interface TcpFaultProxyOptions {
  /** End TLS at the proxy with this certificate and speak TLS to the target, trusting `ca`. */
  tls?: { key: Buffer; cert: Buffer; ca: Buffer };
}

interface DropRule {
  method: string;
  path: RegExp;
  remaining: number;
}

/** Reads request heads out of a client's byte stream; bodies are skipped by Content-Length. */
class RequestReader {
  private head = Buffer.alloc(0);
  private bodyLeft = 0;
  /** A body we cannot measure (chunked): stop reading this connection. */
  private lost = false;

  constructor(private readonly onRequest: (request: SeenRequest) => void) {}

  push(chunk: Buffer): void {
    let data = chunk;
    while (data.length > 0 && !this.lost) {
      if (this.bodyLeft > 0) {
        const n = Math.min(this.bodyLeft, data.length);
        this.bodyLeft -= n;
        data = data.subarray(n);
        continue;
      }
      this.head = Buffer.concat([this.head, data]);
      const end = this.head.indexOf('\r\n\r\n');
      if (end < 0) return;
      const text = this.head.subarray(0, end).toString('latin1');
      data = this.head.subarray(end + 4);
      this.head = Buffer.alloc(0);
      const [requestLine, ...headers] = text.split('\r\n');
      const [method = '', target = '/'] = requestLine.split(' ');
      const header = (name: string) =>
        headers
          .find((h) => h.toLowerCase().startsWith(`${name}:`))
          ?.slice(name.length + 1)
          .trim();
      if (header('transfer-encoding')) this.lost = true;
      this.bodyLeft = Number(header('content-length') ?? 0) || 0;
      this.onRequest({ method, path: decodeURIComponent(target.split('?')[0]) });
    }
  }
}

export async function startTcpFaultProxy(
  target: string,
  options: TcpFaultProxyOptions = {},
): Promise<TcpFaultProxy> {
  const to = new URL(target);
  const port = Number(to.port);
  const rules: DropRule[] = [];
  const seen: SeenRequest[] = [];
  const dropped: SeenRequest[] = [];
  const sockets = new Set<Socket>();
  let delayMs = 0;
  const tls = options.tls;

  const onConnection = (client: Socket) => {
    const upstream = tls
      ? tlsConnect({ host: to.hostname, port, ca: tls.ca })
      : netConnect({ host: to.hostname, port });
    sockets.add(client);
    sockets.add(upstream);
    // Set when a request whose answer is to be dropped has been read: the next answer bytes are its own
    // (a client sends its next request on a connection only after the previous answer).
    let dropping: SeenRequest | undefined;
    const reader = new RequestReader((request) => {
      seen.push(request);
      const i = rules.findIndex((r) => r.method === request.method && r.path.test(request.path));
      if (i < 0) return;
      if (--rules[i].remaining <= 0) rules.splice(i, 1);
      dropping = request;
    });
    client.on('data', (chunk: Buffer) => {
      reader.push(chunk);
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (dropping) {
        dropped.push(dropping);
        dropping = undefined;
        // A reset where the socket allows it; a TLS socket is closed (the client sees the answer never came).
        if (tls) client.destroy();
        else client.resetAndDestroy();
        upstream.destroy();
        return;
      }
      if (delayMs > 0) setTimeout(() => client.writable && client.write(chunk), delayMs);
      else client.write(chunk);
    });
    const closeBoth = () => {
      const wait = delayMs;
      client.destroy();
      // Answers held back must still go out before the connection closes.
      setTimeout(() => upstream.destroy(), wait);
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', closeBoth);
    upstream.on('close', () => setTimeout(() => client.destroy(), delayMs));
    client.on('error', () => undefined);
    upstream.on('error', () => client.destroy());
  };

  const server: Server = tls
    ? tlsServer({ key: tls.key, cert: tls.cert }, onConnection)
    : netServer(onConnection);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const scheme = tls ? 'https' : 'http';
  return {
    url: `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`,
    dropAnswer: (method, path, times = 1) => rules.push({ method, path, remaining: times }),
    delayAnswers: (ms) => {
      delayMs = ms;
    },
    seen,
    dropped,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
