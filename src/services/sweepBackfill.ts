// Connections written before reconnect_by existed carry no end and no due-index row, so the sweep would never
// see them. Each run gives one page of them (a thousand) their grant's end, estimated from the record alone
// (no platform call, no secret read), which also indexes them; the place it got to is kept, so a fleet is done
// in a few runs and a finished backfill costs one read per run.
import { findDefinition } from '../platforms/registry/definitions';
import { connections } from '../stores/connectionStore';
import { sweepState } from '../stores/sweepStateStore';
import { tablesSdk } from '../stores/tables';
import { updateConnection } from './connectionRecords';
import { grantEndOfRecord } from './grantSchedule';

const PAGE = 1000;
const MARKER = { partition: 'backfill', row: 'reconnect-by-v1' };

/** One page of the backfill; returns the entities it read. */
export async function backfillGrantEnds(): Promise<number> {
  const state = await sweepState.read(MARKER.partition, MARKER.row);
  if (state?.value.done) return 1;
  const { odata } = await tablesSdk();
  const page = await connections.page(odata`status eq ${'active'}`, PAGE, state?.value.continuation);
  for (const record of page.records) {
    const def = findDefinition(record.connectorType);
    const end = def && !record.reconnectBy && !record.dueAt ? grantEndOfRecord(def, record) : undefined;
    if (!end) continue;
    await updateConnection(record.tenantId, record.id, (c) =>
      c.reconnectBy || c.status !== 'active' ? undefined : { ...c, reconnectBy: end },
    ).catch(() => undefined); // gone meanwhile, or contended: the next pass over it is a later deploy's
  }
  const next = {
    key: MARKER.row,
    continuation: page.continuationToken,
    done: !page.continuationToken,
  };
  if (state) await sweepState.replace(next, state.etag).catch(() => undefined);
  else await sweepState.insert(next).catch(() => undefined);
  return 1 + page.records.length;
}
