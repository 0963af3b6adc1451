// Calls a connection has spent of a platform's per-token budget (TikTok: 6 publish inits a minute): one row per
// connection and budget, holding the times of the calls still inside the window. Written under the row's ETag,
// so instances sharing the table count together. Nothing secret: a connection id, a budget name, times.
import { Entity, RecordTable } from './recordTable';

export interface CallBudgetRecord {
  connectionId: string;
  budget: string;
  /** Epoch ms of each call spent inside the budget's window, oldest first. */
  calls: number[];
}

function parseCalls(text: string | undefined): number[] {
  const parsed: unknown = JSON.parse(text ?? '[]');
  return Array.isArray(parsed) ? parsed.filter((t): t is number => typeof t === 'number') : [];
}

export const callBudgets = new RecordTable<CallBudgetRecord>('callbudgets', {
  toEntity: (r): Entity => ({
    partitionKey: r.connectionId,
    rowKey: r.budget,
    calls: JSON.stringify(r.calls),
  }),
  fromEntity: (e) => ({ connectionId: e.partitionKey, budget: e.rowKey, calls: parseCalls(e.calls) }),
});
