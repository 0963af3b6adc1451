// Which failures come from a dependency (Table Storage, the identity that reaches it), not from the caller or
// a bug: the request answers 503, the sweep warns and tries again next run.

/** @azure/identity's failures: no token for storage (managed identity endpoint down or refusing). */
const CREDENTIAL_ERRORS = new Set([
  'AggregateAuthenticationError',
  'AuthenticationError',
  'CredentialUnavailableError',
]);

/**
 * Azure SDK errors without an HTTP status (network), with a 5xx, a throttling 429, or a 401/403 (the
 * service's own identity lacks a role), and failures to get a token for them, come from a dependency, not
 * the caller. So does a 409 or 412 that no service turned into an answer: the SDK retried a write whose
 * first answer was lost, and found its own write there.
 */
export function isDependencyFailure(err: unknown): boolean {
  if (err instanceof Error && CREDENTIAL_ERRORS.has(err.name)) return true;
  if (!(err instanceof Error) || err.name !== 'RestError') return false;
  const status = (err as { statusCode?: number }).statusCode;
  return status === undefined || status >= 500 || [401, 403, 409, 412, 429].includes(status);
}

/** A failure described for a log line: its name, status and network code, never a stack. */
export function describeFailure(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const { statusCode, code } = err as { statusCode?: number; code?: string };
  return [err.name, statusCode, code].filter((p) => p !== undefined).join(' ');
}
