// The response envelope of the contract: {success, data, metadata} or {error, code?, details?}.
import { HttpResponseInit } from '@azure/functions';

/**
 * Sent with every JSON answer, from the one place answers are built (so both hosts send them): answers carry a
 * caller's data and must not be kept by a cache, nor read by a browser as anything but JSON.
 */
export const ANSWER_HEADERS: Readonly<Record<string, string>> = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
};

export type Metadata = Record<string, unknown> & { request_id: string };

export interface SuccessOptions {
  status?: number;
  metadata?: Record<string, unknown>;
  headers?: Record<string, string>;
}

export function success(requestId: string, data: unknown, options: SuccessOptions = {}): HttpResponseInit {
  return {
    status: options.status ?? 200,
    headers: { ...ANSWER_HEADERS, 'x-request-id': requestId, ...options.headers },
    jsonBody: { success: true, data, metadata: { ...options.metadata, request_id: requestId } },
  };
}

export interface FailureBody {
  error: string;
  code?: string;
  details?: unknown;
}

export function failure(
  requestId: string,
  status: number,
  body: FailureBody,
  headers: Record<string, string> = {},
): HttpResponseInit {
  return {
    status,
    headers: { ...ANSWER_HEADERS, 'x-request-id': requestId, ...headers },
    jsonBody: { ...body, metadata: { request_id: requestId } },
  };
}
