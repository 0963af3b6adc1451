// Signing keys an attacker cannot exhaust: a flood of tokens naming made-up kids, against the project's own
// issuer (JWKS over HTTP), answers 401 and costs the provider at most one key-set fetch per interval; a known key
// never waits for a fetch and outlives its age while the provider is down or stalled; a key the provider
// publishes in the middle of the flood is accepted within one interval.
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { InvalidTokenError, TokenValidator } from '../src/auth/tokenValidator';
import { readJson } from './support/api';
import { startTestIssuer, TENANT_A, TEST_AUDIENCE, TestIssuer } from './support/issuer';
import { RunningHost, startHost } from './support/localHost';

let issuer: TestIssuer;
const { privateKey: attackerKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

beforeAll(async () => {
  issuer = await startTestIssuer();
});
afterAll(async () => {
  await issuer?.close();
});

/** A token signed by a key the issuer never published, naming a kid no one has seen. */
function junkToken(): string {
  return jwt.sign(
    { tid: TENANT_A, aud: TEST_AUDIENCE, iss: issuer.url, scp: 'Connectors.ReadWrite' },
    attackerKey,
    { algorithm: 'RS256', keyid: `junk-${randomUUID()}`, expiresIn: 600 },
  );
}

async function outcome(v: TokenValidator, token: string): Promise<string> {
  try {
    return `tenant ${(await v.validate(token)).tenantId}`;
  } catch (err) {
    return err instanceof InvalidTokenError ? `invalid: ${err.message}` : `other: ${String(err)}`;
  }
}

describe('the key set under a flood of unknown kids', () => {
  afterEach(async () => {
    await issuer.setJwks('ok');
  });

  it('refetches once for the whole flood, refuses every junk token with 401 and keeps accepting known keys', async () => {
    // An hour between unknown-kid refetches: the test never waits for it.
    const v = new TokenValidator({
      authority: issuer.url,
      audiences: [TEST_AUDIENCE],
      unknownKidIntervalMs: 60 * 60 * 1000,
    });
    expect(await outcome(v, await issuer.token())).toBe(`tenant ${TENANT_A}`);
    const before = await issuer.jwksRequests();

    const flood = await Promise.all(Array.from({ length: 200 }, () => outcome(v, junkToken())));
    expect(new Set(flood)).toEqual(new Set(["invalid: The token's signing key is unknown."]));
    expect((await issuer.jwksRequests()) - before).toBe(1);

    // More junk costs the provider nothing more, and a new token of a known key is still accepted.
    const more = await Promise.all(Array.from({ length: 50 }, () => outcome(v, junkToken())));
    expect(new Set(more)).toEqual(new Set(["invalid: The token's signing key is unknown."]));
    expect(await outcome(v, await issuer.token({ oid: randomUUID() }))).toBe(`tenant ${TENANT_A}`);
    expect((await issuer.jwksRequests()) - before).toBe(1);
  });

  // Every key set is stale at once: each use asks for a background refresh.
  const alwaysStale = () =>
    new TokenValidator({ authority: issuer.url, audiences: [TEST_AUDIENCE], keyMaxAgeMs: 0 });

  it('keeps the last good key set past its age while the provider is down', async () => {
    const v = alwaysStale();
    expect(await outcome(v, await issuer.token())).toBe(`tenant ${TENANT_A}`);
    await issuer.setJwks('down');
    const before = await issuer.jwksRequests();
    for (let i = 0; i < 3; i++) {
      expect(await outcome(v, await issuer.token({ oid: randomUUID() }))).toBe(`tenant ${TENANT_A}`);
    }
    // A refresh was asked for (and failed), yet nothing was refused; junk is still a 401, not a 503.
    expect(await issuer.jwksRequests()).toBeGreaterThan(before);
    expect(await outcome(v, junkToken())).toBe("invalid: The token's signing key is unknown.");
  });

  it('never holds up a known key while the provider does not answer', async () => {
    const v = alwaysStale();
    expect(await outcome(v, await issuer.token())).toBe(`tenant ${TENANT_A}`);
    await issuer.setJwks('stall');
    const before = await issuer.jwksRequests();
    expect(await outcome(v, await issuer.token({ oid: randomUUID() }))).toBe(`tenant ${TENANT_A}`);
    // The background refresh reached the provider and hangs there; tokens are still answered.
    while ((await issuer.jwksRequests()) === before) await new Promise((r) => setTimeout(r, 10));
    expect(await outcome(v, await issuer.token({ oid: randomUUID() }))).toBe(`tenant ${TENANT_A}`);
  });
});

describe('through the local host', () => {
  let host: RunningHost;

  beforeAll(async () => {
    host = await startHost({
      env: {
        AUTH_AUTHORITY: issuer.url,
        AUTH_AUDIENCE: TEST_AUDIENCE,
        // One second instead of a minute, so the test sees the interval pass.
        AUTH_UNKNOWN_KID_REFETCH_SECONDS: '1',
      },
    });
  });
  afterAll(async () => {
    await host?.stop();
  });

  const get = async (token: string) => {
    const res = await fetch(`${host.api}/v1/connectors/configs`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return { status: res.status, challenge: res.headers.get('www-authenticate'), body: await readJson(res) };
  };

  it('answers 401 to the junk and 200 to a token of a key published mid-flood', async () => {
    const oldKeyToken = await issuer.token();
    expect((await get(oldKeyToken)).status).toBe(200);

    let flooding = true;
    const junkStatuses = new Map<number, number>();
    const attacker = async () => {
      while (flooding) {
        const res = await get(junkToken());
        junkStatuses.set(res.status, (junkStatuses.get(res.status) ?? 0) + 1);
        if (res.status === 401) expect(res.challenge).toMatch(/^Bearer error="invalid_token"/);
      }
    };
    const attackers = [attacker(), attacker(), attacker(), attacker()];
    try {
      // Let the flood spend more than jwks-rsa's old budget (10 refetches a minute) first.
      const answered = () => [...junkStatuses.values()].reduce((a, b) => a + b, 0);
      while (answered() < 50) await new Promise((r) => setTimeout(r, 20));
      const newKid = await issuer.addKey();
      const newKeyToken = await issuer.tokenSignedBy(newKid, { tid: TENANT_A });
      const deadline = Date.now() + 30_000;
      let answer = await get(newKeyToken);
      while (answer.status === 401 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        answer = await get(newKeyToken);
      }
      expect(answer.status).toBe(200);
      expect(answer.body.data).toEqual([]);
      // The old key still works in the middle of the flood.
      expect((await get(oldKeyToken)).status).toBe(200);
    } finally {
      flooding = false;
      await Promise.all(attackers);
    }
    expect([...junkStatuses.keys()]).toEqual([401]);
    expect(junkStatuses.get(401)).toBeGreaterThan(50);
    // The accepted requests were the tenant's, by the host's own request log (written in batches: wait for it).
    const accepted = () =>
      host
        .output()
        .split('\n')
        .filter((l) => l.includes('"event":"request"') && l.includes('"status":200'));
    const logDeadline = Date.now() + 20_000;
    while (accepted().length < 3 && Date.now() < logDeadline) await new Promise((r) => setTimeout(r, 50));
    expect(accepted().length).toBeGreaterThanOrEqual(3);
    for (const line of accepted()) expect(JSON.parse(line).tenant).toBe(TENANT_A);
  });
});
