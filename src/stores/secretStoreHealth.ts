// The secret store's state for /health.
import { secretStore } from '../secrets';

export async function secretStoreHealth(): Promise<{ status: 'ok' | 'unavailable'; kind: string }> {
  const store = secretStore();
  try {
    await store.ping();
    return { status: 'ok', kind: store.kind };
  } catch {
    return { status: 'unavailable', kind: store.kind };
  }
}
