// Domain errors: what went wrong, in the app's terms. Services, families, the OAuth engine and the platform
// client throw these and never an HTTP status; src/http/errors.ts maps each kind to its status and the
// contract's error code, in one table.

export type ErrorKind =
  /** The request is wrong: a field, a parameter, a cursor, a state that names nothing. */
  | 'invalid'
  | 'not_found'
  /** What is asked is not possible in the resource's present state (inactive, not connected, no next page). */
  | 'conflict'
  /** The caller's If-Match named another version. */
  | 'precondition_failed'
  /** The grant is gone: the user connects the account again. */
  | 'reconnect_required'
  /** A dependency of ours (storage, the secret store) cannot serve the request now. */
  | 'unavailable'
  /** The platform refused or answered what cannot be used. */
  | 'platform_refused'
  /** The platform refused the request as malformed or too large. */
  | 'platform_rejected_request'
  | 'platform_not_found'
  /** The platform refused the grant this (a permission, a policy): not the caller's token. */
  | 'platform_forbidden'
  /** A platform quota that no retry window lifts. */
  | 'platform_quota_exhausted'
  /** A rate limit; `retryAfterSeconds` says when to try again. */
  | 'platform_rate_limited'
  | 'platform_unreachable'
  | 'platform_timeout'
  /** A request across connections failed on every one of them; `causes` says why for each. */
  | 'all_failed';

/** One connection's failure in a request across connections. */
export interface PartError {
  connection_id: string;
  error: DomainError;
}

export interface DomainErrorOptions {
  /** The contract's code where it names one for this case (`no_account`, `stale_cursor`…); else the kind's. */
  code?: string;
  details?: unknown;
  retryAfterSeconds?: number;
  /** For `all_failed`: each connection's own error. */
  parts?: readonly PartError[];
}

export class DomainError extends Error {
  readonly code?: string;
  readonly details?: unknown;
  readonly retryAfterSeconds?: number;
  readonly parts?: readonly PartError[];

  constructor(
    readonly kind: ErrorKind,
    message: string,
    options: DomainErrorOptions = {},
  ) {
    super(message);
    this.name = 'DomainError';
    this.code = options.code;
    this.details = options.details;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.parts = options.parts;
  }
}

export const invalid = (message: string, options?: DomainErrorOptions): DomainError =>
  new DomainError('invalid', message, options);

export const notFound = (message: string, options?: DomainErrorOptions): DomainError =>
  new DomainError('not_found', message, options);

export const conflict = (message: string, options?: DomainErrorOptions): DomainError =>
  new DomainError('conflict', message, options);

export const unavailable = (message: string, options?: DomainErrorOptions): DomainError =>
  new DomainError('unavailable', message, options);

export const platformRefused = (message: string, options?: DomainErrorOptions): DomainError =>
  new DomainError('platform_refused', message, options);
