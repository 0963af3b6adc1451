import { createHash } from 'node:crypto';

// Where every secret lives: Key Vault in Azure, the local encrypted store otherwise. A record keeps only
// the version of its secret bundle; versions are immutable, so a cached version is never stale, and a
// record that points at an older version (a failed update) still reads the bundle it was written with.

export type SecretKind = 'config' | 'connection' | 'state' | 'webhook';

export interface SecretRef {
  tenantId: string;
  kind: SecretKind;
  /** The record's id: a UUID or another [A-Za-z0-9-] token the service generated. */
  id: string;
}

/** A record's secret fields, as one JSON object. */
export type SecretBundle = Record<string, string>;

export interface SecretStore {
  readonly kind: 'key-vault' | 'local';
  /** Writes a new version of the bundle and returns its version. */
  put(ref: SecretRef, bundle: SecretBundle): Promise<string>;
  /** The bundle at `version`; undefined when that secret or version does not exist. */
  get(ref: SecretRef, version: string): Promise<SecretBundle | undefined>;
  /** Removes every version. Idempotent: a missing secret is not an error. */
  delete(ref: SecretRef): Promise<void>;
  /** Drops versions older than `keep` where the store keeps them itself (best effort). */
  prune(ref: SecretRef, keep: string): Promise<void>;
  /** A cheap call that proves the store answers. */
  ping(): Promise<void>;
  /** The secrets written before `before`, by owner, so the sweep can find those whose record never landed. */
  written(before: Date): AsyncIterable<SecretRef>;
  /**
   * Every stored version with its owner and when it was written, so the sweep's repair can find versions no
   * record names and records whose version is gone. Key Vault lists each secret's current version only.
   */
  allVersions(): AsyncIterable<StoredVersion>;
  /** Removes one version; false where the store cannot (Key Vault keeps its version history itself). */
  deleteVersion(ref: SecretRef, version: string): Promise<boolean>;
}

export interface StoredVersion {
  ref: SecretRef;
  version: string;
  writtenAt: Date;
}

/**
 * The kinds the sweep's orphan repair walks (`written()` yields only these). Webhook signing secrets are not
 * among them: that repair reads configurations and connections only, and would take them for orphans.
 */
export const SECRET_KINDS: readonly SecretKind[] = ['config', 'connection', 'state'];

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SAFE_ID = /^[A-Za-z0-9-]{1,64}$/;

/** A tenant as a name part: its GUID as is, anything else hashed (names may hold only [0-9A-Za-z-]). */
export function tenantPart(tenantId: string): string {
  return GUID.test(tenantId)
    ? tenantId.toLowerCase()
    : createHash('sha256').update(tenantId).digest('hex').slice(0, 32);
}

/** Key Vault's rule is ^[0-9a-zA-Z-]{1,127}$; this yields at most 3+1+36+1+64 = 105 characters. */
export function secretName(ref: SecretRef): string {
  if (!SAFE_ID.test(ref.id)) throw new Error(`Unsafe record id for a secret name: ${ref.id.slice(0, 20)}`);
  const prefix = { config: 'cfg', connection: 'con', state: 'sta', webhook: 'whk' }[ref.kind];
  return `${prefix}-${tenantPart(ref.tenantId)}-${ref.id}`;
}

/** The store is down or refused us; the caller answers 503. */
export class SecretStoreUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretStoreUnavailableError';
  }
}

/**
 * A stored secret cannot be decrypted: its key is not configured (a configuration problem), or, when it is,
 * the ciphertext fails authentication (altered, or moved from another record). Never silent.
 */
export class SecretKeyMismatchError extends Error {
  constructor(keyId: string, keyConfigured = false) {
    super(
      `The local secret store cannot decrypt a secret written with key id ${keyId}: ` +
        (keyConfigured
          ? 'that key is configured, so the stored ciphertext was altered or does not belong to this record.'
          : 'set LOCAL_SECRETS_KEY (or LOCAL_SECRETS_PREVIOUS_KEYS) to the key that wrote it.'),
    );
    this.name = 'SecretKeyMismatchError';
  }
}
