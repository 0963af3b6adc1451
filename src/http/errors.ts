// Errors a handler or service throws to answer with a given status. Anything else is a 500 whose
// detail goes to the log only.

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
