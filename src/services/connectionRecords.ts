// Reading and writing connection records: the view clients see, lookups that answer 404 across tenants,
// and an update helper that re-applies a change when another request wrote first.
import { ApiError, notFound } from '../http/errors';
import { ConnectionRecord, connections } from '../stores/connectionStore';
import { EtagMismatchError, Stored } from '../stores/recordTable';
import { SecretRef } from '../secrets/secretStore';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_ATTEMPTS = 20;

export const tokenRef = (tenantId: string, id: string): SecretRef => ({ tenantId, kind: 'connection', id });

export function connectionView(r: ConnectionRecord) {
  return {
    id: r.id,
    connector_type: r.connectorType,
    name: r.name,
    status: r.status,
    config_id: r.configId ?? null,
    scopes: r.scopes,
    account_id: r.accountId ?? null,
    account_name: r.accountName ?? null,
    expires_at: r.expiresAt ?? null,
    created_at: r.createdAt,
    updated_at: r.updatedAt,
    last_tested_at: r.lastTestedAt ?? null,
    last_refreshed_at: r.lastRefreshedAt ?? null,
    last_error: r.lastError ?? null,
  };
}

export async function findConnection(
  tenantId: string,
  id: string,
): Promise<Stored<ConnectionRecord> | undefined> {
  return UUID.test(id) ? connections.read(tenantId, id.toLowerCase()) : undefined;
}

export async function loadConnection(tenantId: string, id: string): Promise<Stored<ConnectionRecord>> {
  const stored = await findConnection(tenantId, id);
  if (!stored) throw notFound('No OAuth connection with this id.');
  return stored;
}

/**
 * Applies `change` to the current record and writes it under its ETag, re-reading and re-applying when
 * another request wrote in between. `change` returns undefined to leave the record as it is.
 */
export async function updateConnection(
  tenantId: string,
  id: string,
  change: (current: ConnectionRecord) => ConnectionRecord | undefined,
): Promise<Stored<ConnectionRecord>> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const current = await loadConnection(tenantId, id);
    const next = change(current.value);
    if (!next) return current;
    try {
      const etag = await connections.replace({ ...next, updatedAt: new Date().toISOString() }, current.etag);
      return { value: next, etag };
    } catch (err) {
      if (!(err instanceof EtagMismatchError)) throw err;
      // Spread the retries of many writers racing on one record.
      await new Promise((r) => setTimeout(r, Math.random() * 20 * (attempt + 1)));
    }
  }
  throw new ApiError(409, 'The connection is being changed by many requests at once; try again.', {
    code: 'conflict',
  });
}
