// Operation sessions, partitioned by tenant; each is bound to one connection.
import { Entity, optional, RecordTable } from './recordTable';

export interface SessionRecord {
  tenantId: string;
  id: string;
  connectionId: string;
  accountId?: string;
  /** The last query as the client sent it (after defaults were applied). */
  lastQuery?: Record<string, unknown>;
  /** The platform's cursor for the next page of the last query; never shown to clients. */
  platformCursor?: string;
  /** The opaque handle clients see for that cursor. */
  nextCursor?: string;
  /** An execute the platform is still finishing (202): its request key and the family's handle to check it. */
  pendingExecute?: { operation: string; key: string; resume: string; startedAt: string };
  /** Values later queries inherit (a date range, a level…), set by the set_defaults message. */
  defaults: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
  expiresAt: string;
}

export const sessions = new RecordTable<SessionRecord>('sessions', {
  toEntity: (r): Entity => ({
    partitionKey: r.tenantId,
    rowKey: r.id,
    connectionId: r.connectionId,
    accountId: r.accountId,
    lastQuery: r.lastQuery ? JSON.stringify(r.lastQuery) : undefined,
    platformCursor: r.platformCursor,
    nextCursor: r.nextCursor,
    defaults: JSON.stringify(r.defaults),
    pendingExecute: r.pendingExecute ? JSON.stringify(r.pendingExecute) : undefined,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    expiresAt: r.expiresAt,
  }),
  fromEntity: (e) => ({
    tenantId: e.partitionKey,
    id: e.rowKey,
    connectionId: String(e.connectionId),
    accountId: optional(e.accountId),
    lastQuery: e.lastQuery ? (JSON.parse(e.lastQuery) as Record<string, unknown>) : undefined,
    platformCursor: optional(e.platformCursor),
    nextCursor: optional(e.nextCursor),
    defaults: JSON.parse(String(e.defaults ?? '{}')) as Record<string, unknown>,
    pendingExecute: e.pendingExecute
      ? (JSON.parse(String(e.pendingExecute)) as SessionRecord['pendingExecute'])
      : undefined,
    createdAt: String(e.createdAt),
    updatedAt: String(e.updatedAt),
    expiresAt: String(e.expiresAt),
  }),
});
