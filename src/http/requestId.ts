import { randomUUID } from 'node:crypto';

const TRACEPARENT = /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}$/i;
const CLIENT_ID = /^[\w.:-]{1,128}$/;

/**
 * The request id: the caller's `x-ms-client-request-id` when it is a sane token, else the trace id of a
 * W3C `traceparent`, else a new UUID. Caller input is checked so it cannot smuggle text into logs.
 */
export function requestIdOf(headers: Headers): string {
  const clientId = headers.get('x-ms-client-request-id');
  if (clientId && CLIENT_ID.test(clientId)) return clientId;
  const trace = TRACEPARENT.exec(headers.get('traceparent') ?? '');
  if (trace) return trace[1].toLowerCase();
  return randomUUID();
}
