// Calls to the platforms: pooled connections (undici, loaded on first use), timeouts, and one shape of
// answer for every platform. Platform-specific meaning is read by the family modules.
import type { Dispatcher } from 'undici';
import { DomainError } from '../shared/errors';
import { nestingDepth } from '../shared/jsonDepth';
import { outgoingTraceparent } from '../shared/trace';

export interface PlatformRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  query?: Record<string, string | undefined>;
  headers?: Record<string, string>;
  /** Sent as application/x-www-form-urlencoded. */
  form?: Record<string, string | undefined>;
  /** Sent as application/json. */
  json?: unknown;
  /** The call's budget; PLATFORM_TIMEOUT_SECONDS (15 s) unless given (reporting calls: see callTimeoutMs). */
  timeoutMs?: number;
}

export interface PlatformResponse {
  status: number;
  headers: Record<string, string>;
  /** The body parsed as JSON, or undefined when it is not JSON or nests deeper than MAX_ANSWER_DEPTH. */
  body: unknown;
  text: string;
  /** JSON nested deeper than MAX_ANSWER_DEPTH: not parsed (walking it would overflow the stack). */
  tooDeep?: boolean;
}

/** Far deeper than any platform's answers nest (about ten levels), far shallower than a stack overflow. */
export const MAX_ANSWER_DEPTH = 64;

/** The platform could not be reached or did not answer in time (no HTTP status to read). */
export class PlatformUnreachableError extends DomainError {
  constructor(
    readonly host: string,
    readonly reason: 'timeout' | 'network',
  ) {
    super(
      reason === 'timeout' ? 'platform_timeout' : 'platform_unreachable',
      reason === 'timeout' ? `${host} did not answer in time.` : `${host} could not be reached.`,
    );
    this.name = 'PlatformUnreachableError';
  }
}

/**
 * The time a platform call may take, by kind: a reporting call (REPORT_TIMEOUT_SECONDS, 60 s) or any other,
 * token, identity and account calls included (PLATFORM_TIMEOUT_SECONDS, 15 s). Fractions of a second are
 * allowed, so tests can use small budgets; read per call, so a test's host takes its own.
 */
export function callTimeoutMs(report = false): number {
  const raw = report ? process.env.REPORT_TIMEOUT_SECONDS : process.env.PLATFORM_TIMEOUT_SECONDS;
  const seconds = Number(raw);
  return (
    (raw !== undefined && raw.trim() !== '' && Number.isFinite(seconds) && seconds > 0
      ? seconds
      : report
        ? 60
        : 15) * 1000
  );
}

let undici: Promise<{ request: typeof import('undici').request; dispatcher: Dispatcher }> | undefined;

/** undici and one pooled dispatcher, loaded on the first platform call. */
function client() {
  undici ??= import('undici').then(({ Agent, request }) => ({
    request,
    dispatcher: new Agent({ connections: 64, keepAliveTimeout: 10_000, connect: { timeout: 5_000 } }),
  }));
  return undici;
}

function compact(record: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).filter((e): e is [string, string] => e[1] !== undefined));
}

export async function platformRequest(req: PlatformRequest): Promise<PlatformResponse> {
  const { request, dispatcher } = await client();
  const url = new URL(req.url);
  for (const [k, v] of Object.entries(compact(req.query ?? {}))) url.searchParams.set(k, v);
  const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
  // W3C trace context: the request's trace id and a span id for this call, so the call correlates.
  const traceparent = outgoingTraceparent();
  if (traceparent && !Object.keys(headers).some((h) => h.toLowerCase() === 'traceparent')) {
    headers.traceparent = traceparent;
  }
  let body: string | undefined;
  if (req.form) {
    body = new URLSearchParams(compact(req.form)).toString();
    headers['content-type'] = 'application/x-www-form-urlencoded';
  } else if (req.json !== undefined) {
    body = JSON.stringify(req.json);
    headers['content-type'] = 'application/json';
  }
  const timeout = req.timeoutMs ?? callTimeoutMs();
  try {
    const res = await request(url, {
      method: req.method,
      headers,
      body,
      dispatcher,
      headersTimeout: timeout,
      bodyTimeout: timeout,
    });
    const text = await res.body.text();
    let parsed: unknown;
    const tooDeep = nestingDepth(text, MAX_ANSWER_DEPTH) > MAX_ANSWER_DEPTH;
    try {
      parsed = text && !tooDeep ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    const flat: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers))
      if (v !== undefined) flat[k] = Array.isArray(v) ? v.join(', ') : v;
    return { status: res.statusCode, headers: flat, body: parsed, text, ...(tooDeep ? { tooDeep } : {}) };
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    const timedOut = /TIMEOUT/i.test(code) || (err instanceof Error && err.name === 'TimeoutError');
    throw new PlatformUnreachableError(url.host, timedOut ? 'timeout' : 'network');
  }
}

/** A string field of a JSON object body, if present. */
export function field(body: unknown, ...path: string[]): unknown {
  let cur: unknown = body;
  for (const key of path) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}
