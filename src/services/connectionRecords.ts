// Reading and writing connection records: the view clients see, lookups that answer 404 across tenants,
// and an update helper that re-applies a change when another request wrote first.
import { notFound } from '../http/errors';
import { ConnectionRecord, connections } from '../stores/connectionStore';
import { Stored } from '../stores/recordTable';
import { isRecordId, whileContended } from './records';
import { SecretRef } from '../secrets/secretStore';

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
  return isRecordId(id) ? connections.read(tenantId, id.toLowerCase()) : undefined;
}

export async function loadConnection(tenantId: string, id: string): Promise<Stored<ConnectionRecord>> {
  const stored = await findConnection(tenantId, id);
  if (!stored) throw notFound('No OAuth connection with this id.');
  return stored;
}

/** Applies `change` to the connection under its ETag (see RecordTable.update); 404 when it is gone. */
export async function updateConnection(
  tenantId: string,
  id: string,
  change: (current: ConnectionRecord) => ConnectionRecord | undefined,
): Promise<Stored<ConnectionRecord>> {
  const updated = await whileContended('connection', () =>
    connections.update(tenantId, id.toLowerCase(), (c) => {
      const next = change(c);
      return next && { ...next, updatedAt: new Date().toISOString() };
    }),
  );
  if (!updated) throw notFound('No OAuth connection with this id.');
  return updated;
}
