// The response envelope of the contract: {success, data, metadata} or {error, code?, details?}.
import { HttpResponseInit } from '@azure/functions';

export type Metadata = Record<string, unknown> & { request_id: string };

export interface SuccessOptions {
  status?: number;
  metadata?: Record<string, unknown>;
  headers?: Record<string, string>;
}

export function success(requestId: string, data: unknown, options: SuccessOptions = {}): HttpResponseInit {
  return {
    status: options.status ?? 200,
    headers: { 'x-request-id': requestId, ...options.headers },
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
    headers: { 'x-request-id': requestId, ...headers },
    jsonBody: { ...body, metadata: { request_id: requestId } },
  };
}
