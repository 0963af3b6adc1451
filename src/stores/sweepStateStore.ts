// The sweep's own progress markers (one row per long task, e.g. a backfill): where it got to, and whether it
// is done. Written under the row's ETag, so two overlapping runs cannot both move it.
import { Entity, optional, RecordTable } from './recordTable';

export interface SweepStateRecord {
  key: string;
  /** The storage continuation token of the next page, when there is one. */
  continuation?: string;
  done: boolean;
}

export const sweepState = new RecordTable<SweepStateRecord>('sweepstate', {
  toEntity: (r): Entity => ({
    partitionKey: 'backfill',
    rowKey: r.key,
    continuation: r.continuation,
    done: r.done ? 'true' : 'false',
  }),
  fromEntity: (e) => ({
    key: e.rowKey,
    continuation: optional(e.continuation),
    done: e.done === 'true',
  }),
});
