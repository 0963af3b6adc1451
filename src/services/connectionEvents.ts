// What a landed change of a connection announces: a new status (active, error, expired, revoked), the first
// `reconnect_needed` for a grant, or its deletion. Called only by the writer whose write landed (see
// updateConnection and deleteConnection), so one change is one event across instances.
import { emitLifecycleEvent, LifecycleEventType } from '../events/lifecycle';
import { ConnectionRecord } from '../stores/connectionStore';

const STATUS_EVENTS: Partial<Record<ConnectionRecord['status'], LifecycleEventType>> = {
  active: 'connection.active',
  error: 'connection.error',
  expired: 'connection.expired',
  revoked: 'connection.revoked',
};

function emit(
  type: LifecycleEventType,
  record: ConnectionRecord,
  status: string,
  previousStatus: string | null,
) {
  return emitLifecycleEvent({
    tenantId: record.tenantId,
    type,
    timestamp: new Date().toISOString(),
    data: {
      connection_id: record.id,
      connector_type: record.connectorType,
      status,
      previous_status: previousStatus,
      reconnect_by: record.reconnectBy ?? null,
      ...(status !== 'active' && record.lastError ? { error: record.lastError } : {}),
    },
  });
}

/** Announces what changed between the record before a landed write and after it. */
export async function announceConnectionChange(before: ConnectionRecord, after: ConnectionRecord) {
  const type = STATUS_EVENTS[after.status];
  if (type && after.status !== before.status) await emit(type, after, after.status, before.status);
  if (after.reconnectNoticeFor && after.reconnectNoticeFor !== before.reconnectNoticeFor) {
    await emit('connection.reconnect_needed', after, after.status, before.status);
  }
}

/** Announces a connection's deletion (after the delete landed). */
export function announceConnectionDeleted(before: ConnectionRecord) {
  return emit('connection.deleted', before, 'deleted', before.status);
}
