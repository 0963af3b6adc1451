// Reading and writing connection records: the view clients see, lookups that answer 404 across tenants,
// and the one way a connection changes (updateConnection): under its ETag, with its entry in the sweep's due
// index kept in step, and its lifecycle events announced by the writer whose write landed.
import { ConnectionRecord, connections } from '../stores/connectionStore';
import { DueEntry } from '../stores/dueIndexStore';
import { Stored } from '../stores/recordTable';
import { announceConnectionChange } from './connectionEvents';
import { entryOf, nextDueAt, removeEntry, writeEntry } from './dueIndex';
import { isRecordId, whileContended } from './records';
import { SecretRef } from '../secrets/secretStore';
import { notFound } from '../shared/errors';

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
    reconnect_by: r.reconnectBy ?? null,
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

export interface UpdateOptions {
  /** The sweep's time, when the sweep has handled the connection's due entry: its due time may move later. */
  sweptAt?: number;
  /** The record as the caller just read it, tried first to save a read. */
  known?: Stored<ConnectionRecord>;
}

/**
 * The one way a connection changes: applies `change` under the record's ETag (re-applied when another writer
 * got in first; see RecordTable.update), keeps its due-index entry in step, and, once the write has landed,
 * announces a new status or a first reconnect notice. 404 when the connection is gone.
 */
export async function updateConnection(
  tenantId: string,
  id: string,
  change: (current: ConnectionRecord) => ConnectionRecord | undefined,
  options: UpdateOptions = {},
): Promise<Stored<ConnectionRecord>> {
  let before: ConnectionRecord | undefined;
  const written: DueEntry[] = [];
  const updated = await whileContended('connection', () =>
    connections.update(
      tenantId,
      id.toLowerCase(),
      async (c) => {
        before = undefined;
        const next = change(c);
        if (!next) return undefined;
        const dueAt = nextDueAt(c, next, options.sweptAt);
        if (next === c && dueAt === c.dueAt) return undefined; // nothing to write
        if (dueAt && dueAt !== c.dueAt) {
          // The entry first: a record never names an entry that does not exist.
          const entry = entryOf(next, dueAt);
          await writeEntry(entry);
          written.push(entry);
        }
        before = c;
        // Bookkeeping alone (the sweep moving the due time) is not a change a client sees.
        return { ...next, dueAt, updatedAt: next === c ? c.updatedAt : new Date().toISOString() };
      },
      { known: options.known },
    ),
  );
  if (!updated) throw notFound('No OAuth connection with this id.');
  const previous = before;
  if (previous) {
    const after = updated.value;
    // Entries of attempts that lost, and the one the record no longer names.
    const stale = [...written, ...(previous.dueAt ? [entryOf(previous, previous.dueAt)] : [])].filter(
      (e) => e.dueAt !== after.dueAt,
    );
    await Promise.all(stale.map(removeEntry));
    await announceConnectionChange(previous, after);
  }
  return updated;
}
