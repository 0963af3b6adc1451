// OAuth connection records, partitioned by tenant. Tokens are not here: only their secret version.
import { Entity, optional, RecordTable } from './recordTable';

/** A connection's statuses: the one definition the code, the list filter and the OpenAPI document use. */
export const CONNECTION_STATUSES = ['pending', 'active', 'error', 'expired', 'revoked'] as const;
export type ConnectionStatus = (typeof CONNECTION_STATUSES)[number];

export interface ConnectionRecord {
  tenantId: string;
  id: string;
  connectorType: string;
  name: string;
  status: ConnectionStatus;
  configId?: string;
  scopes: string[];
  accountId?: string;
  accountName?: string;
  /** When the access token expires (ISO). */
  expiresAt?: string;
  /** When the refresh token expires (ISO), where the platform says. */
  refreshExpiresAt?: string;
  lastRefreshedAt?: string;
  /** The token set's version in the secret store. */
  secretVersion?: string;
  createdAt: string;
  updatedAt: string;
  lastTestedAt?: string;
  lastError?: string;
  /** A refresh in progress: until when, and by whom (one refresh per connection across instances). */
  leaseUntil?: string;
  leaseOwner?: string;
  /** The last transient refresh failure, so the sweep backs off. */
  refreshFailedAt?: string;
  /** When the grant stops working unless the user consents again (ISO); absent when nothing is known to end it. */
  reconnectBy?: string;
  /** The reconnectBy for which `reconnect_needed` was announced, so it is announced once per grant. */
  reconnectNoticeFor?: string;
  /** When the sweep next looks at this connection (ISO): the key of its entry in the due index. */
  dueAt?: string;
}

const OPTIONAL = [
  'configId',
  'accountId',
  'accountName',
  'expiresAt',
  'refreshExpiresAt',
  'lastRefreshedAt',
  'secretVersion',
  'lastTestedAt',
  'lastError',
  'leaseUntil',
  'leaseOwner',
  'refreshFailedAt',
  'reconnectBy',
  'reconnectNoticeFor',
  'dueAt',
] as const;

export const connections = new RecordTable<ConnectionRecord>('connections', {
  toEntity: (r): Entity => ({
    partitionKey: r.tenantId,
    rowKey: r.id,
    connectorType: r.connectorType,
    name: r.name,
    status: r.status,
    scopes: JSON.stringify(r.scopes),
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    ...Object.fromEntries(OPTIONAL.map((k) => [k, r[k]])),
  }),
  fromEntity: (e) => ({
    tenantId: e.partitionKey,
    id: e.rowKey,
    connectorType: String(e.connectorType),
    name: String(e.name),
    status: String(e.status) as ConnectionRecord['status'],
    scopes: JSON.parse(String(e.scopes ?? '[]')) as string[],
    createdAt: String(e.createdAt),
    updatedAt: String(e.updatedAt),
    ...Object.fromEntries(OPTIONAL.map((k) => [k, optional(e[k])])),
  }),
});
