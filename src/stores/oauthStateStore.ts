// Pending OAuth authorizations, keyed by a hash of the state (the state itself is never stored). The
// callback is anonymous, so these rows are found by state alone; they carry the tenant.
import { Entity, optional, RecordTable } from './recordTable';

export interface OAuthStateRecord {
  /** sha256 of the state, hex. */
  key: string;
  tenantId: string;
  connectionId: string;
  redirectUri: string;
  returnUrl?: string;
  expiresAt: string;
  /** The PKCE verifier's version in the secret store, when the flow uses PKCE. */
  verifierVersion?: string;
}

export const oauthStates = new RecordTable<OAuthStateRecord>('oauthstates', {
  toEntity: (r): Entity => ({
    partitionKey: r.key.slice(0, 2),
    rowKey: r.key,
    tenantId: r.tenantId,
    connectionId: r.connectionId,
    redirectUri: r.redirectUri,
    returnUrl: r.returnUrl,
    expiresAt: r.expiresAt,
    verifierVersion: r.verifierVersion,
  }),
  fromEntity: (e) => ({
    key: e.rowKey,
    tenantId: String(e.tenantId),
    connectionId: String(e.connectionId),
    redirectUri: String(e.redirectUri),
    returnUrl: optional(e.returnUrl),
    expiresAt: String(e.expiresAt),
    verifierVersion: optional(e.verifierVersion),
  }),
});

export const statePartition = (key: string) => key.slice(0, 2);
