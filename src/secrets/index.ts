import { settings } from '../settings';
import { KeyVaultSecretStore } from './keyVaultStore';
import { loadKeyRing } from './localKeys';
import { LocalSecretStore } from './localStore';
import { SecretStore } from './secretStore';

let store: SecretStore | undefined;

/** The process's secret store: Key Vault when KEY_VAULT_URL is set, else the local encrypted store. */
export function secretStore(): SecretStore {
  if (!store) {
    const s = settings();
    store = s.keyVaultUrl
      ? new KeyVaultSecretStore(s.keyVaultUrl)
      : new LocalSecretStore(loadKeyRing(s.env, s.dataDir));
  }
  return store;
}
