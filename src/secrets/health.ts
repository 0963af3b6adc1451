// The secret store's state for /health.
import { secretStore } from './index';
import { SecretKeyMismatchError } from './secretStore';

export async function secretStoreHealth(): Promise<{
  status: 'ok' | 'unavailable';
  kind: string;
  error?: string;
}> {
  const store = secretStore();
  try {
    await store.ping();
    return { status: 'ok', kind: store.kind };
  } catch (err) {
    // A key mismatch names only a key id; say it, so an operator sees why.
    const error = err instanceof SecretKeyMismatchError ? err.message : undefined;
    return { status: 'unavailable', kind: store.kind, ...(error ? { error } : {}) };
  }
}
