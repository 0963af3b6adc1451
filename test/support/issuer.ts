// Drives test/support/oidc-issuer.mjs: a real OpenID issuer on loopback whose JWKS the service fetches over HTTP.
import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';

export const TEST_AUDIENCE = 'api://supertrack-test';
export const TENANT_A = '11111111-1111-4111-8111-111111111111';
export const TENANT_B = '22222222-2222-4222-8222-222222222222';

export interface TestIssuer {
  url: string;
  /** A token with Azure AD-like claims (tid, oid, scp) unless `claims` overrides them (null removes one). */
  token(claims?: Record<string, unknown>): Promise<string>;
  /** Adds a signing key; the issuer then rotates between its keys. Resolves with the new kid. */
  addKey(): Promise<string>;
  close(): Promise<void>;
}

export async function startTestIssuer(): Promise<TestIssuer> {
  const child: ChildProcessWithoutNullStreams = spawn(
    process.execPath,
    [join(__dirname, 'oidc-issuer.mjs')],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  const lines = createInterface({ input: child.stdout });
  const waiters: Array<(msg: Record<string, unknown>) => void> = [];
  lines.on('line', (line) => {
    const waiter = waiters.shift();
    if (waiter) waiter(JSON.parse(line) as Record<string, unknown>);
  });
  const next = () => new Promise<Record<string, unknown>>((resolve) => waiters.push(resolve));
  const first = await next();
  const url = String(first.url);

  return {
    url,
    async token(claims = {}) {
      const payload = {
        aud: TEST_AUDIENCE,
        tid: TENANT_A,
        oid: 'aaaaaaaa-0000-4000-8000-000000000001',
        azp: 'test-client',
        scp: 'Connectors.ReadWrite',
        ...claims,
      };
      const res = await fetch(`${url}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: 'test-client',
          claims: JSON.stringify(payload),
        }),
      });
      const body = (await res.json()) as { access_token: string };
      return body.access_token;
    },
    async addKey() {
      const reply = next();
      child.stdin.write('add-key\n');
      return String((await reply).added);
    },
    close: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.stdin.end();
      }),
  };
}
