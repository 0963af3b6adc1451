// One delivery attempt: POST the signed body to the subscriber's URL through a connection pool whose every
// connection is opened to an address the policy has just checked. No redirect is followed (undici's request
// follows none), the whole attempt has 15 s (WEBHOOK_ATTEMPT_TIMEOUT_SECONDS), and at most 64 KiB of the answer
// is read and thrown away.
import type { LookupAddress, LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import type { Dispatcher } from 'undici';
import { AddressPolicy, checkAddress, hostOf, RefusedUrlError, systemLookup } from './addressPolicy';

const DEFAULT_ATTEMPT_TIMEOUT_SECONDS = 15;

/** WEBHOOK_ATTEMPT_TIMEOUT_SECONDS when a positive number, else 15 s: the most one attempt may take. */
export function attemptTimeoutMs(
  raw: string | undefined = process.env.WEBHOOK_ATTEMPT_TIMEOUT_SECONDS,
): number {
  const seconds = raw === undefined || raw.trim() === '' ? NaN : Number(raw);
  return (Number.isFinite(seconds) && seconds > 0 ? seconds : DEFAULT_ATTEMPT_TIMEOUT_SECONDS) * 1000;
}
const MAX_ANSWER_BYTES = 64 * 1024;

export interface AttemptResult {
  delivered: boolean;
  /** The receiver's status, when it answered. */
  statusCode?: number;
  /** Why it was not delivered, for the log: never the receiver's body. */
  reason?: 'status' | 'timeout' | 'network' | 'refused_address';
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/** net.connect's `lookup`, resolving once and handing over only addresses the policy accepts. */
function checkedLookup(policy: AddressPolicy) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    (policy.lookup ?? systemLookup)(hostname)
      .then((addresses) => {
        if (addresses.length === 0) throw new RefusedUrlError(`${hostname} has no address.`);
        for (const { address } of addresses) checkAddress(policy, hostname, address);
        if (options.all) callback(null, addresses);
        else callback(null, addresses[0].address, addresses[0].family);
      })
      .catch((err: unknown) => callback(err instanceof Error ? err : new Error(String(err)), ''));
  };
}

let pool: Promise<{ request: typeof import('undici').request; dispatcher: Dispatcher }> | undefined;
let poolPolicy: AddressPolicy | undefined;

function client(policy: AddressPolicy) {
  if (!pool || poolPolicy !== policy) {
    poolPolicy = policy;
    pool = import('undici').then(({ Agent, request }) => ({
      request,
      dispatcher: new Agent({
        connections: 16,
        keepAliveTimeout: 10_000,
        connect: { timeout: 5_000, lookup: checkedLookup(policy) },
      }),
    }));
  }
  return pool;
}

async function drain(body: AsyncIterable<Buffer> & { destroy(): void }): Promise<void> {
  let read = 0;
  for await (const chunk of body) {
    read += chunk.length;
    if (read >= MAX_ANSWER_BYTES) break;
  }
  body.destroy();
}

function isRefusal(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) if (e instanceof RefusedUrlError) return true;
  return false;
}

export async function attemptDelivery(
  url: string,
  headers: Record<string, string>,
  body: string,
  policy: AddressPolicy,
): Promise<AttemptResult> {
  const target = new URL(url);
  const host = hostOf(target);
  try {
    // A literal address is never looked up, so the connection-time check does not see it: check it here.
    if (isIP(host)) checkAddress(policy, host, host);
  } catch {
    return { delivered: false, reason: 'refused_address' };
  }
  const { request, dispatcher } = await client(policy);
  const timeoutMs = attemptTimeoutMs();
  try {
    const res = await request(target, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'Supertrack-Webhooks/1', ...headers },
      body,
      dispatcher,
      signal: AbortSignal.timeout(timeoutMs),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    await drain(res.body).catch(() => undefined);
    const delivered = res.statusCode >= 200 && res.statusCode < 300;
    return { delivered, statusCode: res.statusCode, ...(delivered ? {} : { reason: 'status' as const }) };
  } catch (err) {
    if (isRefusal(err)) return { delivered: false, reason: 'refused_address' };
    const name = err instanceof Error ? err.name : '';
    const timedOut = name === 'TimeoutError' || name === 'AbortError' || /Timeout/.test(name);
    return { delivered: false, reason: timedOut ? 'timeout' : 'network' };
  }
}
