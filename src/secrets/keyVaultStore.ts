// Key Vault: one secret per record holding its secret fields as JSON, tagged with tenant and record.
import type { SecretClient } from '@azure/keyvault-secrets';
import { defaultCredential } from '../shared/azureCredential';
import {
  SECRET_KINDS,
  SecretBundle,
  SecretRef,
  SecretStore,
  SecretStoreUnavailableError,
  secretName,
  StoredVersion,
} from './secretStore';
import { VersionCache } from './versionCache';

function statusOf(err: unknown): number | undefined {
  const status = (err as { statusCode?: number }).statusCode;
  return typeof status === 'number' ? status : undefined;
}

function unavailable(action: string, err: unknown): SecretStoreUnavailableError {
  const status = statusOf(err);
  return new SecretStoreUnavailableError(
    `Key Vault could not ${action}${status ? ` (HTTP ${status})` : ''}; try again later.`,
  );
}

export class KeyVaultSecretStore implements SecretStore {
  readonly kind = 'key-vault' as const;
  private client?: Promise<SecretClient>;
  private readonly cache = new VersionCache();

  constructor(private readonly vaultUrl: string) {}

  private secrets(): Promise<SecretClient> {
    this.client ??= (async () => {
      const { SecretClient } = await import('@azure/keyvault-secrets');
      return new SecretClient(this.vaultUrl, await defaultCredential(), {
        // The vault's challenge names its own resource; with a custom domain or a local test vault the
        // host does not end in vault.azure.net, so the check would refuse a legitimate challenge.
        disableChallengeResourceVerification: !/\.vault\.(azure\.net|azure\.cn|usgovcloudapi\.net)$/i.test(
          new URL(this.vaultUrl).hostname,
        ),
        retryOptions: { maxRetries: 2, retryDelayInMs: 200, maxRetryDelayInMs: 2000 },
      });
    })();
    return this.client;
  }

  async put(ref: SecretRef, bundle: SecretBundle): Promise<string> {
    const name = secretName(ref);
    try {
      const client = await this.secrets();
      const result = await client.setSecret(name, JSON.stringify(bundle), {
        contentType: 'application/json',
        tags: { tenant: ref.tenantId.slice(0, 256), record: ref.id, kind: ref.kind },
      });
      const version = result.properties.version;
      if (!version) throw new Error('Key Vault returned no version');
      this.cache.set(name, version, bundle);
      return version;
    } catch (err) {
      throw unavailable('store a secret', err);
    }
  }

  async get(ref: SecretRef, version: string): Promise<SecretBundle | undefined> {
    const name = secretName(ref);
    const cached = this.cache.get(name, version);
    if (cached) return cached;
    try {
      const client = await this.secrets();
      const secret = await client.getSecret(name, { version });
      const bundle = JSON.parse(secret.value ?? '{}') as SecretBundle;
      this.cache.set(name, version, bundle);
      return bundle;
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw unavailable('read a secret', err);
    }
  }

  async delete(ref: SecretRef): Promise<void> {
    const name = secretName(ref);
    this.cache.forget(name);
    try {
      const client = await this.secrets();
      // The first request deletes; there is no need to wait for the soft-delete to settle.
      await client.beginDeleteSecret(name);
    } catch (err) {
      if (statusOf(err) === 404) return;
      throw unavailable('delete a secret', err);
    }
  }

  async prune(): Promise<void> {
    // Key Vault keeps its own version history; nothing to do.
  }

  async *written(before: Date): AsyncGenerator<SecretRef> {
    const client = await this.secrets();
    for await (const properties of client.listPropertiesOfSecrets()) {
      const { tenant, record, kind } = properties.tags ?? {};
      const known = SECRET_KINDS.find((k) => k === kind);
      if (!tenant || !record || !known || !properties.createdOn || properties.createdOn >= before) continue;
      yield { tenantId: tenant, kind: known, id: record };
    }
  }

  async *allVersions(): AsyncGenerator<StoredVersion> {
    const client = await this.secrets();
    for await (const properties of client.listPropertiesOfSecrets()) {
      const { tenant, record, kind } = properties.tags ?? {};
      const known = SECRET_KINDS.find((k) => k === kind);
      if (!tenant || !record || !known || !properties.version || !properties.createdOn) continue;
      yield {
        ref: { tenantId: tenant, kind: known, id: record },
        version: properties.version,
        writtenAt: properties.updatedOn ?? properties.createdOn,
      };
    }
  }

  async deleteVersion(): Promise<boolean> {
    // Key Vault removes versions only with their secret; its history is its own.
    return false;
  }

  async ping(): Promise<void> {
    try {
      const client = await this.secrets();
      await client.getSecret('health-probe');
    } catch (err) {
      if (statusOf(err) === 404) return;
      throw unavailable('answer', err);
    }
  }
}
