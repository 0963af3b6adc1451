// What the local host answers before any function runs: a request whose Host header is not a host, and what
// Node's HTTP parser refuses itself (headers too large, broken framing). Both in the contract's envelope, never
// a 500 or an empty answer.
import { randomUUID } from 'node:crypto';
import { IncomingMessage, STATUS_CODES } from 'node:http';
import { Duplex } from 'node:stream';
import { ANSWER_HEADERS } from '../src/http/envelope';

/** A host name, IPv4 or bracketed IPv6 address, with an optional port: what a URL's authority may hold. */
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)(?::\d{1,5})?$/;

/** The request's URL, or undefined when its Host header (or target) cannot make one. */
export function requestUrl(req: IncomingMessage): URL | undefined {
  const host = req.headers.host ?? 'localhost';
  if (!HOST.test(host)) return undefined;
  const target = req.url ?? '/';
  try {
    // Appended, not resolved: a target of "//elsewhere/x" is a path here, not another host.
    return new URL(target.startsWith('/') ? `http://${host}${target}` : target);
  } catch {
    return undefined;
  }
}

interface ParserError extends Error {
  code?: string;
}

function parserRefusal(err: ParserError): { status: number; error: string; code: string } {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, error: 'The request headers are too large.', code: 'headers_too_large' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, error: 'The request took too long to arrive.', code: 'request_timeout' };
    default:
      return { status: 400, error: 'The request is not valid HTTP.', code: 'bad_request' };
  }
}

/** The server's clientError handler: the envelope on the raw socket, then the connection is closed. */
export function answerParserError(err: ParserError, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const { status, error, code } = parserRefusal(err);
  const body = JSON.stringify({ error, code, metadata: { request_id: randomUUID() } });
  const headers = {
    ...ANSWER_HEADERS,
    'Content-Type': 'application/json',
    'Content-Length': String(Buffer.byteLength(body)),
    Connection: 'close',
  };
  const head = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${head}\r\n${body}`);
}
