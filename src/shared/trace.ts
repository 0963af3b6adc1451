// W3C Trace Context for the request being served, kept in AsyncLocalStorage so that code far from the
// handler (platform calls) can read it without passing it along. Application Insights correlates on the
// trace id: the request's log line carries it, and every platform call carries a traceparent with the same
// trace id and a span id of its own.
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';

export interface RequestTrace {
  requestId: string;
  /**
   * 32 lower-case hex digits: from the Functions host's trace context or the caller's traceparent; when
   * neither gave one, made on first need (the first platform call) so that the request's calls share it.
   */
  traceId?: string;
  /** trace-flags of the parent, 2 hex digits ("01": sampled); "00" for a trace started here. */
  flags: string;
}

export interface Traceparent {
  traceId: string;
  parentId: string;
  flags: string;
}

// version-traceid-parentid-flags; a later version may append fields after another dash.
const TRACEPARENT = /^([\da-f]{2})-([\da-f]{32})-([\da-f]{16})-([\da-f]{2})(-[^\s]*)?$/;
const ALL_ZEROS = /^0+$/;

/** A valid W3C traceparent header, or undefined (malformed, version ff, all-zero ids, too long). */
export function parseTraceparent(value: string | null | undefined): Traceparent | undefined {
  if (!value || value.length > 256) return undefined;
  const m = TRACEPARENT.exec(value.trim().toLowerCase());
  if (!m) return undefined;
  const [, version, traceId, parentId, flags, more] = m;
  if (version === 'ff' || (version === '00' && more !== undefined)) return undefined;
  if (ALL_ZEROS.test(traceId) || ALL_ZEROS.test(parentId)) return undefined;
  return { traceId, parentId, flags };
}

const storage = new AsyncLocalStorage<RequestTrace>();

/** Runs `work` with `trace` as the current request's trace. */
export function runWithTrace<T>(trace: RequestTrace, work: () => T): T {
  return storage.run(trace, work);
}

/** The trace of the request being served, if any (none in a timer or outside the pipeline). */
export function currentTrace(): RequestTrace | undefined {
  return storage.getStore();
}

/** A new span id: 16 hex digits, not all zero. */
function newSpanId(): string {
  for (;;) {
    const id = randomBytes(8).toString('hex');
    if (!ALL_ZEROS.test(id)) return id;
  }
}

/**
 * The traceparent for an outgoing call made while serving a request: the request's trace id, a new span id
 * for the call. Undefined outside a request. No tracestate goes out: it may carry vendor data meant for
 * Azure, not for the platforms.
 */
export function outgoingTraceparent(): string | undefined {
  const trace = storage.getStore();
  if (!trace) return undefined;
  trace.traceId ??= randomBytes(16).toString('hex');
  return `00-${trace.traceId}-${newSpanId()}-${trace.flags}`;
}
