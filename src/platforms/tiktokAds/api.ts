// TikTok API for Business: the long-term token in an `Access-Token` header (not Authorization), and errors
// inside HTTP 200 envelopes {code, message, request_id, data}.
import { ApiDialect, ApiFailure, failureFromStatus } from '../api';
import { field, PlatformResponse } from '../../platformHttp/client';
import {
  INVALID_PARAMETER,
  NO_PERMISSION,
  OK,
  QUERY_TOO_LARGE,
  RATE_LIMIT_WAIT_SECONDS,
  RATE_LIMITED,
  TOKEN_INVALID,
} from './codes';

function describe(res: PlatformResponse, code: unknown): string {
  const detail = field(res.body, 'message');
  const requestId = field(res.body, 'request_id');
  const text = typeof detail === 'string' && detail ? detail : `HTTP ${res.status}`;
  const notes = [
    typeof code === 'number' ? `code ${code}` : undefined,
    typeof requestId === 'string' && requestId ? `request_id ${requestId}` : undefined,
  ].filter((n): n is string => n !== undefined);
  return `TikTok for Business: ${text}${notes.length ? ` (${notes.join(', ')})` : ''}`;
}

export function classifyEnvelope(res: PlatformResponse): ApiFailure | undefined {
  const code = field(res.body, 'code');
  if (res.status >= 200 && res.status < 300 && code === OK) return undefined;
  const message = describe(res, code);
  if (typeof code !== 'number') {
    // Not an envelope (a proxy's page, a missing trailing slash's 404): read the HTTP status.
    return failureFromStatus(res.status >= 300 ? res.status : 502, message) ?? { kind: 'platform', message };
  }
  if (RATE_LIMITED.includes(code)) {
    return { kind: 'rate_limited', message, retryAfterSeconds: RATE_LIMIT_WAIT_SECONDS };
  }
  if (TOKEN_INVALID.includes(code)) return { kind: 'token_invalid', message };
  if (code === QUERY_TOO_LARGE) return { kind: 'bad_request', message, queryTooLarge: true };
  if (code === NO_PERMISSION) return { kind: 'forbidden', message };
  if (code === INVALID_PARAMETER) return { kind: 'bad_request', message };
  return { kind: 'platform', message };
}

export const tiktokAdsApi: ApiDialect = {
  headers: (token) => ({ 'Access-Token': token }),
  classify: classifyEnvelope,
};
