// One GET of a JSON document from the identity provider (its OpenID metadata or key set): bounded in time and
// size, and any failure is the provider's, never the caller's.
import { IdentityProviderUnavailableError } from './errors';

const FETCH_TIMEOUT_MS = 5000;
/** Azure AD's key set is a few kilobytes; anything near this is not a key set. */
const MAX_DOCUMENT_BYTES = 512 * 1024;

export async function fetchProviderJson(url: string, what: string): Promise<unknown> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    if (!res.ok) {
      await res.body?.cancel();
      throw new Error(`HTTP ${res.status}`);
    }
    const text = await res.text();
    if (text.length > MAX_DOCUMENT_BYTES) throw new Error('the document is too large');
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new IdentityProviderUnavailableError(
      `The identity provider's ${what} (${url}) could not be fetched: ${err instanceof Error ? err.message : 'error'}`,
    );
  }
}
