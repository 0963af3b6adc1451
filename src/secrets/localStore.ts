// The local secret store: AES-256-GCM with a fresh 96-bit IV per write and the tenant, record and version
// bound as associated data (a ciphertext copied to another record does not decrypt), kept in Table
// Storage so several instances share it.
import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import { tableClient, tableErrorStatus, tablesSdk } from '../stores/tables';
import { LocalKeyRing } from './localKeys';
import {
  SECRET_KINDS,
  SecretBundle,
  SecretKeyMismatchError,
  SecretRef,
  SecretStore,
  SecretStoreUnavailableError,
  secretName,
  StoredVersion,
  tenantPart,
} from './secretStore';
import { VersionCache } from './versionCache';

const TABLE = 'secrets';
const CANARY: SecretRef = { tenantId: 'system', kind: 'state', id: 'key-canary' };
const CANARY_VERSION = 'canary';

interface SecretEntity {
  partitionKey: string;
  rowKey: string;
  /** Who owns it (not secret): lets the sweep find a secret whose record never landed. */
  tenantId?: string;
  kind?: string;
  recordId?: string;
  keyId: string;
  iv: string;
  tag: string;
  ciphertext: string;
}

function aad(ref: SecretRef, version: string): Buffer {
  return Buffer.from(`${ref.tenantId}\n${ref.kind}\n${ref.id}\n${version}`, 'utf8');
}

function storageFailure(err: unknown): never {
  if (err instanceof SecretKeyMismatchError) throw err;
  const status = tableErrorStatus(err);
  throw new SecretStoreUnavailableError(
    `The local secret store (Table Storage) could not be reached${status ? ` (HTTP ${status})` : ''}; try again later.`,
  );
}

export class LocalSecretStore implements SecretStore {
  readonly kind = 'local' as const;
  private readonly cache = new VersionCache();
  private canary?: Promise<void>;

  constructor(private readonly keys: LocalKeyRing) {}

  private encrypt(ref: SecretRef, version: string, bundle: SecretBundle): SecretEntity {
    const { current } = this.keys;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', current.key, iv);
    cipher.setAAD(aad(ref, version));
    const ciphertext = Buffer.concat([cipher.update(JSON.stringify(bundle), 'utf8'), cipher.final()]);
    return {
      partitionKey: tenantPart(ref.tenantId),
      rowKey: `${secretName(ref)}@${version}`,
      tenantId: ref.tenantId,
      kind: ref.kind,
      recordId: ref.id,
      keyId: current.id,
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      ciphertext: ciphertext.toString('base64'),
    };
  }

  async put(ref: SecretRef, bundle: SecretBundle): Promise<string> {
    // The first write of a process proves the key against the canary: writing with a key that cannot read
    // what is stored would split the store in two.
    this.canary ??= this.ping().catch((err: unknown) => {
      this.canary = undefined;
      throw err;
    });
    await this.canary;
    const version = randomUUID().replace(/-/g, '');
    const entity = this.encrypt(ref, version, bundle);
    try {
      await (await tableClient(TABLE)).createEntity(entity);
    } catch (err) {
      // A lost answer: the SDK's retry finds the row its first attempt wrote (the version is fresh and random,
      // so a row with this key and this ciphertext is ours).
      if (tableErrorStatus(err) !== 409 || !(await this.landed(entity))) storageFailure(err);
    }
    this.cache.set(secretName(ref), version, bundle);
    return version;
  }

  private async landed(entity: SecretEntity): Promise<boolean> {
    const found = await (await tableClient(TABLE))
      .getEntity<SecretEntity>(entity.partitionKey, entity.rowKey)
      .catch(() => undefined);
    return found?.ciphertext === entity.ciphertext && found.iv === entity.iv;
  }

  async get(ref: SecretRef, version: string): Promise<SecretBundle | undefined> {
    const name = secretName(ref);
    const cached = this.cache.get(name, version);
    if (cached) return cached;
    let entity: SecretEntity;
    try {
      entity = await (
        await tableClient(TABLE)
      ).getEntity<SecretEntity>(tenantPart(ref.tenantId), `${name}@${version}`);
    } catch (err) {
      if (tableErrorStatus(err) === 404) return undefined;
      storageFailure(err);
    }
    const bundle = this.decrypt(ref, version, entity);
    this.cache.set(name, version, bundle);
    return bundle;
  }

  private decrypt(ref: SecretRef, version: string, entity: SecretEntity): SecretBundle {
    const key = this.keys.byId.get(entity.keyId);
    if (!key) throw new SecretKeyMismatchError(entity.keyId);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key.key, Buffer.from(entity.iv, 'base64'));
      decipher.setAAD(aad(ref, version));
      decipher.setAuthTag(Buffer.from(entity.tag, 'base64'));
      const plain = Buffer.concat([
        decipher.update(Buffer.from(entity.ciphertext, 'base64')),
        decipher.final(),
      ]);
      return JSON.parse(plain.toString('utf8')) as SecretBundle;
    } catch {
      // GCM authentication failed under the key the id names (the id is derived from the key): the
      // ciphertext, IV, tag or associated data do not match, i.e. a tampered or moved ciphertext.
      throw new SecretKeyMismatchError(entity.keyId, true);
    }
  }

  private async versions(ref: SecretRef): Promise<string[]> {
    const name = secretName(ref);
    const client = await tableClient(TABLE);
    const { odata } = await tablesSdk();
    const rows: string[] = [];
    // Row keys are `${name}@${version}`; '@' sorts before 'A', so ge '@' and lt 'A' bounds the name's rows.
    const filter = odata`PartitionKey eq ${tenantPart(ref.tenantId)} and RowKey ge ${`${name}@`} and RowKey lt ${`${name}A`}`;
    for await (const e of client.listEntities<SecretEntity>({
      queryOptions: { filter, select: ['RowKey'] },
    })) {
      rows.push(e.rowKey);
    }
    return rows;
  }

  async delete(ref: SecretRef): Promise<void> {
    this.cache.forget(secretName(ref));
    try {
      const client = await tableClient(TABLE);
      for (const rowKey of await this.versions(ref)) {
        await client.deleteEntity(tenantPart(ref.tenantId), rowKey).catch((err: unknown) => {
          if (tableErrorStatus(err) !== 404) throw err;
        });
      }
    } catch (err) {
      storageFailure(err);
    }
  }

  async prune(ref: SecretRef, keep: string): Promise<void> {
    const client = await tableClient(TABLE);
    for (const rowKey of await this.versions(ref)) {
      if (!rowKey.endsWith(`@${keep}`))
        await client.deleteEntity(tenantPart(ref.tenantId), rowKey).catch(() => undefined);
    }
  }

  async *written(before: Date): AsyncGenerator<SecretRef> {
    const client = await tableClient(TABLE);
    const { odata } = await tablesSdk();
    const seen = new Set<string>();
    const rows = client.listEntities<SecretEntity>({
      queryOptions: { filter: odata`Timestamp lt ${before}`, select: ['tenantId', 'kind', 'recordId'] },
    });
    for await (const row of rows) {
      const kind = SECRET_KINDS.find((k) => k === row.kind);
      if (!row.tenantId || !row.recordId || !kind) continue;
      const key = `${row.tenantId}/${kind}/${row.recordId}`;
      if (seen.has(key)) continue;
      seen.add(key);
      yield { tenantId: row.tenantId, kind, id: row.recordId };
    }
  }

  async *allVersions(): AsyncGenerator<StoredVersion> {
    const client = await tableClient(TABLE);
    const rows = client.listEntities<SecretEntity>({
      queryOptions: { select: ['RowKey', 'Timestamp', 'tenantId', 'kind', 'recordId'] },
    });
    for await (const row of rows) {
      const kind = SECRET_KINDS.find((k) => k === row.kind);
      const version = row.rowKey?.split('@')[1];
      if (!row.tenantId || !row.recordId || !kind || !version || !row.timestamp) continue;
      yield {
        ref: { tenantId: row.tenantId, kind, id: row.recordId },
        version,
        writtenAt: new Date(row.timestamp),
      };
    }
  }

  async deleteVersion(ref: SecretRef, version: string): Promise<boolean> {
    this.cache.forget(secretName(ref));
    try {
      await (
        await tableClient(TABLE)
      ).deleteEntity(tenantPart(ref.tenantId), `${secretName(ref)}@${version}`);
    } catch (err) {
      if (tableErrorStatus(err) !== 404) storageFailure(err);
    }
    return true;
  }

  /**
   * Reads a canary written with the store's key: a key that cannot decrypt it cannot decrypt the secrets
   * either, so health reports a wrong LOCAL_SECRETS_KEY instead of "ok". After a rotation the canary is
   * rewritten with the current key.
   */
  async ping(): Promise<void> {
    try {
      const client = await tableClient(TABLE);
      const existing = await client
        .getEntity<SecretEntity>(tenantPart(CANARY.tenantId), `${secretName(CANARY)}@${CANARY_VERSION}`)
        .catch((err: unknown) => {
          if (tableErrorStatus(err) === 404) return undefined;
          throw err;
        });
      if (existing) this.decrypt(CANARY, CANARY_VERSION, existing);
      if (!existing || existing.keyId !== this.keys.current.id) {
        await client.upsertEntity(this.encrypt(CANARY, CANARY_VERSION, { canary: 'ok' }), 'Replace');
      }
    } catch (err) {
      storageFailure(err);
    }
  }
}
