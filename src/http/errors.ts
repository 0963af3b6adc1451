// Errors as HTTP answers: ApiError (a status and the contract's code), thrown by the HTTP layers (auth, handlers,
// the conventions), and the table that turns the domain errors services and families throw into ApiErrors.
// Anything else is a 500 whose detail goes to the log only.
import { DomainError, ErrorKind, PartError } from '../shared/errors';

export interface ApiErrorOptions {
  code?: string;
  details?: unknown;
  headers?: Record<string, string>;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code?: string;
  readonly details?: unknown;
  readonly headers?: Record<string, string>;

  constructor(status: number, message: string, options: ApiErrorOptions = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = options.code;
    this.details = options.details;
    this.headers = options.headers;
  }
}

export const badRequest = (message: string, options?: ApiErrorOptions): ApiError =>
  new ApiError(400, message, { code: 'bad_request', ...options });

export const notFound = (message: string): ApiError => new ApiError(404, message, { code: 'not_found' });

export const conflict = (message: string, options?: ApiErrorOptions): ApiError =>
  new ApiError(409, message, { code: 'conflict', ...options });

/** A dependency (storage, Key Vault, the identity provider's metadata) could not be reached. */
export const unavailable = (message: string, options?: ApiErrorOptions): ApiError =>
  new ApiError(503, message, { code: 'dependency_unavailable', ...options });

/**
 * Every domain error kind (src/shared/errors.ts) as the contract answers it: the status, and the code when the
 * error names none of its own. The one place where what went wrong becomes HTTP.
 */
export const DOMAIN_ERRORS: Record<Exclude<ErrorKind, 'all_failed'>, { status: number; code: string }> = {
  invalid: { status: 400, code: 'bad_request' },
  not_found: { status: 404, code: 'not_found' },
  conflict: { status: 409, code: 'conflict' },
  precondition_failed: { status: 412, code: 'precondition_failed' },
  reconnect_required: { status: 409, code: 'reconnect_required' },
  unavailable: { status: 503, code: 'dependency_unavailable' },
  platform_refused: { status: 502, code: 'platform_error' },
  platform_rejected_request: { status: 400, code: 'platform_rejected_request' },
  platform_not_found: { status: 404, code: 'platform_not_found' },
  // 403 stays the contract's "your token lacks the permission"; this is the platform refusing the grant.
  platform_forbidden: { status: 409, code: 'platform_forbidden' },
  // Not a rate limit: no Retry-After invites a retry.
  platform_quota_exhausted: { status: 409, code: 'platform_quota_exhausted' },
  platform_rate_limited: { status: 429, code: 'platform_rate_limited' },
  platform_unreachable: { status: 502, code: 'platform_unreachable' },
  platform_timeout: { status: 504, code: 'platform_unreachable' },
};

/** A domain error as the contract answers it. */
export function fromDomainError(err: DomainError): ApiError {
  if (err.kind === 'all_failed') {
    // Every connection failed: their common status, else 502; each one's error in the details.
    const parts = err.parts ?? [];
    const statuses = new Set(parts.map((p) => fromDomainError(p.error).status));
    const [status] = statuses;
    return new ApiError(statuses.size === 1 && status !== undefined ? status : 502, err.message, {
      code: err.code ?? 'all_failed',
      details: partErrors(parts),
    });
  }
  const { status, code } = DOMAIN_ERRORS[err.kind];
  return new ApiError(status, err.message, {
    code: err.code ?? code,
    details: err.details,
    ...(err.retryAfterSeconds !== undefined
      ? { headers: { 'Retry-After': String(err.retryAfterSeconds) } }
      : {}),
  });
}

/** What a handler threw, as the contract answers it; undefined for anything that is a 500 (or decided elsewhere). */
export function knownError(err: unknown): ApiError | undefined {
  if (err instanceof ApiError) return err;
  if (err instanceof DomainError) return fromDomainError(err);
  return undefined;
}

/** Each connection's failure as the contract lists it: `{connection_id, error, code}`. */
export function partErrors(
  parts: readonly PartError[],
): Array<{ connection_id: string; error: string; code?: string }> {
  return parts.map(({ connection_id, error }) => {
    const answer = fromDomainError(error);
    return { connection_id, error: answer.message, ...(answer.code ? { code: answer.code } : {}) };
  });
}
