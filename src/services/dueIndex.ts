// Keeps the sweep's due index in step with the connection records. A record names its entry (dueAt); the
// entry is written before the record points at it and the old one removed after, so a record's entry always
// exists. A crash between the writes leaves only extra entries: an entry whose record names another time (or
// is gone) is stale, and the sweep removes it when it comes due. Writers other than the sweep only ever move
// a connection's due time earlier (an early visit finds nothing to do and reschedules), so the renewals of a
// busy connection write no index rows at all.
import { findDefinition } from '../platforms/registry/definitions';
import { ConnectionRecord } from '../stores/connectionStore';
import { DueEntry, dueIndex, duePartition, dueRowKey } from '../stores/dueIndexStore';
import { sweepDueAt } from './grantSchedule';

/**
 * The due time a record should carry after a change. `sweptAt` (the sweep, which has just handled the
 * connection at that time) may move it later, and never to a time it has already handled.
 */
export function nextDueAt(
  before: ConnectionRecord,
  next: ConnectionRecord,
  sweptAt: number | undefined,
): string | undefined {
  const def = findDefinition(next.connectorType);
  const wanted = def ? sweepDueAt(def, next) : undefined;
  if (wanted === undefined) return undefined;
  if (sweptAt === undefined) return before.dueAt && before.dueAt <= wanted ? before.dueAt : wanted;
  return new Date(Math.max(Date.parse(wanted), sweptAt + 1)).toISOString();
}

export const entryOf = (record: ConnectionRecord, dueAt: string): DueEntry => ({
  dueAt,
  tenantId: record.tenantId,
  connectionId: record.id,
});

export function writeEntry(entry: DueEntry): Promise<void> {
  return dueIndex.upsert(entry);
}

/** Removes an entry no record names any more; a failure leaves a stale entry the sweep removes later. */
export async function removeEntry(entry: DueEntry): Promise<void> {
  await dueIndex.delete(duePartition(entry), dueRowKey(entry)).catch(() => false);
}
