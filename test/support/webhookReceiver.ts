// A webhook receiver on loopback for tests: records every request (headers and raw body), answers with the
// statuses it is told to (200 by default), can hold requests open, and lets a test wait for the n-th request.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** What the receiver does with one request: answer a status, or hold it open until the test releases it. */
export type Reply = number | 'hold';

export interface WebhookReceiver {
  /** http://127.0.0.1:PORT */
  url: string;
  received: ReceivedWebhook[];
  /** The replies for the next requests to `path`, in order; after them, `fallback`. */
  reply(path: string, ...replies: Reply[]): void;
  fallback: Reply;
  /** Resolves when at least `count` requests have arrived (rejects after a generous deadline). */
  waitFor(count: number, filter?: (w: ReceivedWebhook) => boolean): Promise<ReceivedWebhook[]>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const replies = new Map<string, Reply[]>();
  const waiters = new Set<() => void>();
  const held = new Set<ServerResponse>();
  const receiver: WebhookReceiver = {
    url: '',
    received,
    fallback: 200,
    reply: (path, ...r) => replies.set(path, [...(replies.get(path) ?? []), ...r]),
    waitFor: (count, filter = () => true) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const matching = received.filter(filter);
          if (matching.length < count) return false;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(matching);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(`webhook receiver: ${received.filter(filter).length} of ${count} requests arrived`),
          );
        }, 120_000);
        if (!check()) waiters.add(check);
      }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of held) res.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      const path = req.url ?? '/';
      received.push({ path, headers, body: Buffer.concat(chunks).toString('utf8') });
      const reply = replies.get(path)?.shift() ?? receiver.fallback;
      if (reply === 'hold') held.add(res);
      else res.writeHead(reply, { 'content-type': 'text/plain' }).end('ok');
      for (const waiter of [...waiters]) waiter();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return receiver;
}

/**
 * An independent Standard Webhooks check, written from the specification with node:crypto only: the key is
 * the base64 after `whsec_`, the content `${id}.${timestamp}.${body}`, the header `v1,<base64>` (one of several
 * space-separated signatures).
 */
export function signatureIsValid(secret: string, w: ReceivedWebhook): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const content = `${w.headers['webhook-id']}.${w.headers['webhook-timestamp']}.${w.body}`;
  const expected = Buffer.from(createHmac('sha256', key).update(content).digest('base64'));
  return (w.headers['webhook-signature'] ?? '').split(' ').some((sig) => {
    const [version, value] = sig.split(',');
    const given = Buffer.from(value ?? '');
    return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
  });
}
