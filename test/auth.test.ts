// Every rejection rule of the token contract, against a real OpenID issuer on loopback (JWKS over HTTP).
import { generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { hasAccess } from '../src/auth/principal';
import { issuerPolicy } from '../src/auth/issuers';
import {
  IdentityProviderUnavailableError,
  InvalidTokenError,
  TokenValidator,
} from '../src/auth/tokenValidator';
import { startTestIssuer, TENANT_A, TENANT_B, TEST_AUDIENCE, TestIssuer } from './support/issuer';

let issuer: TestIssuer;
const now = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  issuer = await startTestIssuer();
});
afterAll(async () => {
  await issuer.close();
});

const validator = (overrides: Partial<ConstructorParameters<typeof TokenValidator>[0]> = {}) =>
  new TokenValidator({ authority: issuer.url, audiences: [TEST_AUDIENCE], ...overrides });

/** What an accepted token must come out as: the tenant and the permissions it carries, not just "something". */
const accepted = (tenantId: string, scopes = ['Connectors.ReadWrite']) =>
  expect.objectContaining({ tenantId, scopes, roles: [] });

async function rejects(v: TokenValidator, token: string, message: RegExp): Promise<void> {
  const err = await v.validate(token).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InvalidTokenError);
  expect((err as Error).message).toMatch(message);
}

describe('token validation', () => {
  it('accepts a valid token and builds the principal', async () => {
    const principal = await validator().validate(await issuer.token({ scp: 'Connectors.ReadWrite other' }));
    expect(principal).toEqual({
      tenantId: TENANT_A,
      objectId: 'aaaaaaaa-0000-4000-8000-000000000001',
      appId: 'test-client',
      scopes: ['Connectors.ReadWrite', 'other'],
      roles: [],
    });
  });

  it('rejects a token that is not a JWT', async () => {
    await rejects(validator(), 'not-a-jwt', /not a JWT/);
  });

  it('rejects alg none and HS256 (no algorithm confusion)', async () => {
    const unsigned = jwt.sign({ tid: TENANT_A, aud: TEST_AUDIENCE, iss: issuer.url }, '', {
      algorithm: 'none',
    });
    await rejects(validator(), unsigned, /RS256/);
    const hmac = jwt.sign({ tid: TENANT_A, aud: TEST_AUDIENCE, iss: issuer.url }, 'shared', {
      algorithm: 'HS256',
    });
    await rejects(validator(), hmac, /RS256/);
  });

  it('rejects a token signed by a key the issuer does not publish', async () => {
    const real = jwt.decode(await issuer.token(), { complete: true });
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const forged = jwt.sign(
      { tid: TENANT_A, aud: TEST_AUDIENCE, iss: issuer.url, scp: 'Connectors.ReadWrite', exp: now() + 600 },
      privateKey,
      { algorithm: 'RS256', keyid: real?.header.kid },
    );
    await rejects(validator(), forged, /signature/);
  });

  it('rejects an unknown kid after one refetch of the key set', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const forged = jwt.sign({ tid: TENANT_A, aud: TEST_AUDIENCE, iss: issuer.url }, privateKey, {
      algorithm: 'RS256',
      keyid: 'no-such-kid',
    });
    await rejects(validator(), forged, /signing key is unknown/);
  });

  it('rejects a wrong issuer', async () => {
    await rejects(validator(), await issuer.token({ iss: 'https://evil.example/' }), /not issued by/);
  });

  it('rejects a wrong audience and accepts any listed one', async () => {
    await rejects(validator(), await issuer.token({ aud: 'api://other' }), /audience/);
    const v = validator({ audiences: ['api://other', TEST_AUDIENCE] });
    await expect(v.validate(await issuer.token({ aud: 'api://other' }))).resolves.toEqual(accepted(TENANT_A));
  });

  it('applies 5 minutes of clock skew to exp and nbf', async () => {
    await rejects(validator(), await issuer.token({ exp: now() - 301 }), /expired/);
    await expect(validator().validate(await issuer.token({ exp: now() - 200 }))).resolves.toEqual(
      accepted(TENANT_A),
    );
    await rejects(validator(), await issuer.token({ nbf: now() + 400 }), /not valid yet/);
    await expect(validator().validate(await issuer.token({ nbf: now() + 200 }))).resolves.toEqual(
      accepted(TENANT_A),
    );
  });

  it('requires a tid and checks it against the allowed tenants', async () => {
    await rejects(validator(), await issuer.token({ tid: null }), /tenant/);
    const onlyA = validator({ allowedTenants: [TENANT_A] });
    await expect(onlyA.validate(await issuer.token())).resolves.toEqual(accepted(TENANT_A));
    await rejects(onlyA, await issuer.token({ tid: TENANT_B }), /tenant.*not allowed/);
    await expect(
      validator({ allowedTenants: '*' }).validate(
        await issuer.token({ tid: TENANT_B, scp: 'Connectors.Read' }),
      ),
    ).resolves.toEqual(accepted(TENANT_B, ['Connectors.Read']));
  });

  it('fetches a new key set when a token names a kid it has not seen', async () => {
    const v = validator();
    await v.validate(await issuer.token());
    const newKid = await issuer.addKey();
    // The issuer now alternates keys; one of two tokens is signed with the new one.
    const tokens = [await issuer.token(), await issuer.token()];
    expect(tokens.some((t) => jwt.decode(t, { complete: true })?.header.kid === newKid)).toBe(true);
    for (const t of tokens) await expect(v.validate(t)).resolves.toEqual(accepted(TENANT_A));
  });

  it('answers "unavailable", not "invalid", when the authority cannot be reached', async () => {
    const v = new TokenValidator({ authority: 'http://127.0.0.1:9/nothing', audiences: [TEST_AUDIENCE] });
    await expect(v.validate(await issuer.token())).rejects.toBeInstanceOf(IdentityProviderUnavailableError);
  });
});

describe('permissions', () => {
  const principal = (scopes: string[], roles: string[] = []) => ({ tenantId: TENANT_A, scopes, roles });
  it('write needs ReadWrite scope or role', () => {
    expect(hasAccess(principal(['Connectors.ReadWrite']), 'write')).toBe(true);
    expect(hasAccess(principal([], ['Connectors.ReadWrite.All']), 'write')).toBe(true);
    expect(hasAccess(principal(['Connectors.Read']), 'write')).toBe(false);
    expect(hasAccess(principal([], ['Connectors.Read.All']), 'write')).toBe(false);
  });
  it('read accepts Read or ReadWrite, as scope or role', () => {
    expect(hasAccess(principal(['Connectors.Read']), 'read')).toBe(true);
    expect(hasAccess(principal([], ['Connectors.Read.All']), 'read')).toBe(true);
    expect(hasAccess(principal(['Connectors.ReadWrite']), 'read')).toBe(true);
    expect(hasAccess(principal(['User.Read']), 'read')).toBe(false);
  });
});

describe('Azure AD issuers', () => {
  const tid = '72f988bf-86f1-41af-91ab-2d7cd011db47';
  it('accepts the v1 and v2 issuer forms of the authority’s tenant', () => {
    const policy = issuerPolicy(
      `https://login.microsoftonline.com/${tid}/v2.0`,
      `https://login.microsoftonline.com/${tid}/v2.0`,
    );
    expect(policy.authorityTenant).toBe(tid);
    expect(policy.acceptedIssuers(tid)).toEqual([
      `https://login.microsoftonline.com/${tid}/v2.0`,
      `https://sts.windows.net/${tid}/`,
    ]);
    expect(policy.acceptedIssuers(TENANT_B)).toEqual([`https://login.microsoftonline.com/${tid}/v2.0`]);
  });
  it('fills in the token’s tenant for a multi-tenant authority', () => {
    const policy = issuerPolicy(
      'https://login.microsoftonline.com/organizations/v2.0',
      'https://login.microsoftonline.com/{tenantid}/v2.0',
    );
    expect(policy.authorityTenant).toBeUndefined();
    expect(policy.acceptedIssuers(TENANT_B)).toContain(`https://sts.windows.net/${TENANT_B}/`);
    expect(policy.acceptedIssuers(undefined)).toEqual([]);
  });
  it('requires the exact metadata issuer elsewhere', () => {
    const policy = issuerPolicy('https://id.example.com', 'https://id.example.com');
    expect(policy.acceptedIssuers(TENANT_A)).toEqual(['https://id.example.com']);
  });
});
