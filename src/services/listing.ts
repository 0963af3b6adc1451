// List requests: filters by type and status, a page size and an opaque continuation token, the same way
// for every kind of record.
import { definitionOf } from './records';
import { invalid } from '../shared/errors';

export interface ListRequest {
  type?: string;
  status?: string;
  limit?: string;
  continuationToken?: string;
}

export interface ListParameters {
  connectorType?: string;
  status?: string;
  limit: number;
  /** The storage continuation token, decoded. */
  token?: string;
}

export function listParameters(request: ListRequest, statuses: readonly string[]): ListParameters {
  const connectorType = request.type ? definitionOf(request.type).type : undefined;
  if (request.status && !statuses.includes(request.status)) {
    throw invalid(`status must be one of ${statuses.join(', ')}.`);
  }
  const limit = request.limit === undefined ? 50 : Number(request.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100)
    throw invalid('limit must be an integer from 1 to 100.');
  let token: string | undefined;
  if (request.continuationToken) {
    token = Buffer.from(request.continuationToken, 'base64url').toString('utf8');
    if (!isStorageContinuation(token)) throw invalid('continuation_token is not valid.');
  }
  return { connectorType, status: request.status, limit, token };
}

export const encodeContinuation = (token: string | undefined) =>
  token ? Buffer.from(token).toString('base64url') : undefined;

/**
 * The storage SDK's own token is base64 of {nextPartitionKey, nextRowKey?}; anything else would make the SDK
 * throw. (A token naming another partition cannot reach it: every query is filtered by the tenant.)
 */
function isStorageContinuation(token: string): boolean {
  if (!token || /[^\x20-\x7e]/.test(token)) return false;
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as unknown;
    return (
      typeof parsed === 'object' &&
      parsed !== null &&
      typeof (parsed as Record<string, unknown>).nextPartitionKey === 'string'
    );
  } catch {
    return false;
  }
}
