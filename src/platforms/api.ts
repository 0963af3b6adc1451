// Calls to a platform's API with a user's access token, and what their failures mean to the service.
// Each family supplies its headers and its reading of error bodies; the rest is shared.
import { ConnectorDefinition } from '../catalog/types';
import { DomainError, DomainErrorOptions, ErrorKind } from '../shared/errors';
import { redact } from '../shared/redact';
import { MAX_ANSWER_DEPTH, PlatformRequest, PlatformResponse, platformRequest } from '../platformHttp/client';

export type FailureKind =
  | 'token_invalid'
  | 'rate_limited'
  | 'bad_request'
  | 'not_found'
  | 'forbidden'
  /** The platform no longer serves the API version the service is set to: an operator changes a setting. */
  | 'version_retired'
  /** A usage cap or prepaid credits are spent: retrying before the period ends (or a top-up) cannot help. */
  | 'quota_exhausted'
  | 'platform';

export interface ApiFailure {
  kind: FailureKind;
  message: string;
  /** Seconds to wait, when the platform says (rate limits). */
  retryAfterSeconds?: number;
  /** With token_invalid: the user took the app's access away at the platform. */
  revokedByUser?: boolean;
  /** With bad_request: the query asks for more than one answer can hold; a smaller one (split by date) works. */
  queryTooLarge?: boolean;
  /** The platform's own name for the problem (NOT_ADS_USER…), shown to the caller as details.reason. */
  reason?: string;
}

export interface ApiDialect {
  /** Headers every call carries: the token in the platform's way plus any platform headers. */
  headers(token: string, context: ApiContext): Record<string, string>;
  /** The failure an answer means, or undefined for a success. */
  classify(res: PlatformResponse): ApiFailure | undefined;
}

export interface ApiContext {
  definition: ConnectorDefinition;
  /** The connection's configuration fields (developer token, login customer id…). */
  config: Record<string, string>;
}

/** A failure in the service's terms: the domain error it is, and the message a caller reads. */
function asDomain(failure: ApiFailure): [ErrorKind, string, DomainErrorOptions] {
  const reason = failure.reason ? { details: { reason: failure.reason } } : {};
  switch (failure.kind) {
    case 'rate_limited': {
      const wait = Math.max(1, Math.ceil(failure.retryAfterSeconds ?? 60));
      return [
        'platform_rate_limited',
        `${failure.message} Retry after ${wait} s.`,
        { retryAfterSeconds: wait },
      ];
    }
    case 'bad_request':
      return [
        'platform_rejected_request',
        failure.message,
        { ...reason, ...(failure.queryTooLarge ? { code: 'platform_query_too_large' } : {}) },
      ];
    case 'not_found':
      return ['platform_not_found', failure.message, {}];
    case 'forbidden':
      // Not the contract's 403 ("your token lacks the permission"): the platform refusing the grant.
      return ['platform_forbidden', failure.message, reason];
    case 'quota_exhausted':
      // Not a rate limit: nothing lifts it within a retry window.
      return ['platform_quota_exhausted', failure.message, reason];
    case 'token_invalid':
      return ['reconnect_required', `${failure.message} Reconnect the account.`, {}];
    case 'version_retired':
      // Nothing the caller can change: the message names the setting the operator changes.
      return ['platform_refused', failure.message, { code: 'platform_version_retired' }];
    default:
      return ['platform_refused', failure.message, {}];
  }
}

/** The platform's API said no. `failure` is the platform's reading; the domain error is what it means here. */
export class PlatformApiError extends DomainError {
  constructor(
    readonly failure: ApiFailure,
    readonly platformStatus: number,
  ) {
    super(...asDomain(failure));
    this.name = 'PlatformApiError';
  }
}

export async function callApi(
  dialect: ApiDialect,
  context: ApiContext,
  token: string,
  req: PlatformRequest,
): Promise<PlatformResponse> {
  const res = await platformRequest({
    ...req,
    headers: { ...dialect.headers(token, context), ...req.headers },
  });
  const failure = dialect.classify(res);
  // Platform text goes on to responses, last_error and logs: mask anything in it that looks like a credential.
  if (failure) throw new PlatformApiError({ ...failure, message: redact(failure.message) }, res.status);
  // A success whose body could not be read is no success: the platform answered something unusable.
  if (res.tooDeep) {
    throw new PlatformApiError(
      {
        kind: 'platform',
        message: `${new URL(req.url).host} answered JSON nested deeper than ${MAX_ANSWER_DEPTH} levels; it was not read.`,
      },
      res.status,
    );
  }
  return res;
}

/** The generic reading of an HTTP status, for what a family's own reading leaves open. */
export function failureFromStatus(status: number, message: string): ApiFailure | undefined {
  if (status >= 200 && status < 300) return undefined;
  if (status === 401) return { kind: 'token_invalid', message };
  if (status === 429) return { kind: 'rate_limited', message };
  if (status === 403) return { kind: 'forbidden', message };
  if (status === 404) return { kind: 'not_found', message };
  if (status >= 400 && status < 500) return { kind: 'bad_request', message };
  return { kind: 'platform', message };
}

export interface Identity {
  id: string;
  name?: string;
}
