// The secret store's state for /health. Until the secret store lands this reports which one is configured.
import { settings } from '../settings';

export async function secretStoreHealth(): Promise<{ status: 'ok' | 'unavailable'; kind: string }> {
  return { status: 'ok', kind: settings().keyVaultUrl ? 'key-vault' : 'local' };
}
