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
  /** A token signed by the key `kid`, with the same default claims as `token()`. */
  tokenSignedBy(kid: string, claims?: Record<string, unknown>): Promise<string>;
  /** How GET /jwks answers from now on: normally, 500, or never. */
  setJwks(mode: 'ok' | 'down' | 'stall'): Promise<void>;
  /** How many times the key set was asked for so far. */
  jwksRequests(): Promise<number>;
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
  let started: ((msg: Record<string, unknown>) => void) | undefined;
  const answers = new Map<number, (msg: Record<string, unknown>) => void>();
  lines.on('line', (line) => {
    const msg = JSON.parse(line) as Record<string, unknown>;
    if (typeof msg.id === 'number') answers.get(msg.id)?.(msg);
    else started?.(msg);
  });
  const first = await new Promise<Record<string, unknown>>((resolve) => (started = resolve));
  const url = String(first.url);
  let lastId = 0;
  /** Sends one command to the issuer process and resolves with its answer. */
  const command = (cmd: string, args: Record<string, unknown> = {}) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const id = ++lastId;
      answers.set(id, (msg) => {
        answers.delete(id);
        if (msg.error) reject(new Error(String(msg.error)));
        else resolve(msg);
      });
      child.stdin.write(`${JSON.stringify({ id, cmd, ...args })}\n`);
    });
  const defaultClaims = (claims: Record<string, unknown>) => ({
    aud: TEST_AUDIENCE,
    tid: TENANT_A,
    oid: 'aaaaaaaa-0000-4000-8000-000000000001',
    azp: 'test-client',
    scp: 'Connectors.ReadWrite',
    ...claims,
  });

  return {
    url,
    async token(claims = {}) {
      const payload = defaultClaims(claims);
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
      return String((await command('add-key')).kid);
    },
    async tokenSignedBy(kid, claims = {}) {
      return String((await command('sign', { kid, claims: defaultClaims(claims) })).token);
    },
    async setJwks(mode) {
      await command('jwks', { mode });
    },
    async jwksRequests() {
      return Number((await command('stats')).jwksRequests);
    },
    close: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.stdin.end();
      }),
  };
}
