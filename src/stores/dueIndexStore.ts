// The sweep's due index: one row per connection the sweep must look at, keyed by when. The partition is the
// due day and the row key starts with the due time, so "everything due by now" is one range query that reads
// nothing that is not due. A connection record names its entry (ConnectionRecord.dueAt); an entry whose record
// names another time is stale and is removed when it comes due (see services/dueIndex.ts).
import { Entity, RecordTable } from './recordTable';

export interface DueEntry {
  /** ISO time the connection is due. */
  dueAt: string;
  tenantId: string;
  connectionId: string;
}

const dayOf = (iso: string) => iso.slice(0, 10);

/** The row key: due time first (ISO sorts as time), then the connection, so two connections never collide. */
export const dueRowKey = (e: DueEntry) => `${e.dueAt}|${e.tenantId}|${e.connectionId}`;

export const dueIndex = new RecordTable<DueEntry>('connectiondue', {
  toEntity: (e): Entity => ({
    partitionKey: dayOf(e.dueAt),
    rowKey: dueRowKey(e),
    tenantId: e.tenantId,
    connectionId: e.connectionId,
    dueAt: e.dueAt,
  }),
  fromEntity: (e) => ({
    dueAt: String(e.dueAt),
    tenantId: String(e.tenantId),
    connectionId: String(e.connectionId),
  }),
});

export const duePartition = (e: DueEntry) => dayOf(e.dueAt);
