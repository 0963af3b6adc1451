// What a connection has learned about the login-customer-id each Google Ads customer needs (a manager's id, or
// none for a customer the user reaches directly), kept per process. A refused call then retries with what was
// learned instead of listing every account again: with Explorer access (2,880 operations a day) each listing
// of N customers and M managers costs 1 + N + M operations.
import { Account } from '../operations';

const TTL_MS = 6 * 3_600_000;
const MAX_CONNECTIONS = 2000;

interface Learned {
  at: number;
  /** customer id → the login-customer-id its calls need (null: none). */
  logins: Map<string, string | null>;
}

const byConnection = new Map<string, Learned>();

/** Keeps the login-customer-id of every customer in a listing (a fresh listing replaces what was known). */
export function rememberLogins(connectionId: string, accounts: Account[], replace: boolean): void {
  const current = byConnection.get(connectionId);
  const logins = replace || !current ? new Map<string, string | null>() : current.logins;
  for (const a of accounts) logins.set(a.id, typeof a.manager_id === 'string' ? a.manager_id : null);
  byConnection.delete(connectionId); // re-inserted last: the map's order is least recently learned first
  byConnection.set(connectionId, { at: Date.now(), logins });
  while (byConnection.size > MAX_CONNECTIONS) {
    const oldest = byConnection.keys().next().value;
    if (oldest === undefined) break;
    byConnection.delete(oldest);
  }
}

/** The learned login-customer-id of a customer: {login} (undefined login: none needed), or undefined if unknown. */
export function learnedLogin(
  connectionId: string,
  customerId: string,
): { login: string | undefined } | undefined {
  const learned = byConnection.get(connectionId);
  if (!learned || Date.now() - learned.at > TTL_MS) return undefined;
  const login = learned.logins.get(customerId);
  return login === undefined ? undefined : { login: login ?? undefined };
}

/** Forgets what was learned about one customer (it was refused with what was learned). */
export function forgetLogin(connectionId: string, customerId: string): void {
  byConnection.get(connectionId)?.logins.delete(customerId);
}
