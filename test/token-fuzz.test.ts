// Every malformed token is a 401: random strings, random JWS-shaped parts, and valid tokens of the project's own
// issuer mutated byte by byte, through the validator and through the authenticated pipeline (never a 5xx, never
// an error-level log line).
import { HttpRequest, HttpResponseInit, InvocationContext, LogLevel } from '@azure/functions';
import fc from 'fast-check';
import { functions } from '../functions/routes';
import { InvalidTokenError, TokenValidator } from '../src/auth/tokenValidator';
import { azureHandlerOf } from '../src/routing/azureHandler';
import { HttpFunctionDeclaration } from '../src/routing/declarations';
import { resetSettings } from '../src/settings';
import { startTestIssuer, TENANT_A, TEST_AUDIENCE, TestIssuer } from './support/issuer';

let issuer: TestIssuer;
let validToken: string;
const savedEnv = { ...process.env };

beforeAll(async () => {
  issuer = await startTestIssuer();
  validToken = await issuer.token();
  process.env.AUTH_AUTHORITY = issuer.url;
  process.env.AUTH_AUDIENCE = TEST_AUDIENCE;
  resetSettings();
});
afterAll(async () => {
  process.env = savedEnv;
  resetSettings();
  await issuer?.close();
});

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

/** JSON that is not an object, or not JSON at all, or an object with hostile field types. */
const segmentText = fc.oneof(
  fc.string(),
  fc.json(),
  fc.constant('{"typ":"JWT","alg":"RS256","kid":"x"}'),
  fc.constant('not json'),
  fc.constant('{"exp":"soon","nbf":{},"aud":[1,null],"tid":7,"scp":["a"],"roles":"x"}'),
  fc
    .record({
      alg: fc.oneof(fc.constant('RS256'), fc.constant('none'), fc.constant('HS256'), fc.anything()),
      typ: fc.oneof(fc.constant('JWT'), fc.anything()),
      kid: fc.oneof(fc.string(), fc.anything()),
    })
    .map((h) => JSON.stringify(h) ?? '{}'),
);

const jwsShaped = fc
  .tuple(segmentText, segmentText, fc.string())
  .map(([h, p, s]) => `${b64(h)}.${b64(p)}.${b64(s)}`);

/** A valid token with one of its characters replaced, some removed, parts swapped or its header rewritten. */
const mutated = fc.oneof(
  fc
    .tuple(fc.nat(), fc.string({ minLength: 1, maxLength: 1 }))
    .map(
      ([i, c]) =>
        validToken.slice(0, i % validToken.length) + c + validToken.slice((i % validToken.length) + 1),
    ),
  fc
    .tuple(fc.nat(), fc.nat())
    .map(([a, b]) => validToken.slice(Math.min(a, b) % validToken.length, Math.max(a, b))),
  fc.constant(null).map(() => validToken.split('.').reverse().join('.')),
  segmentText.map((h) => [b64(h), ...validToken.split('.').slice(1)].join('.')),
  segmentText.map((p) => {
    const [h, , s] = validToken.split('.');
    return `${h}.${b64(p)}.${s}`;
  }),
  fc.string().map((tail) => `${validToken}${tail}`),
);

const anyToken = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), jwsShaped, mutated);

describe('the token parser', () => {
  it('refuses a header that says typ JWT over a payload that is not JSON (was a 500)', async () => {
    const v = new TokenValidator({ authority: issuer.url, audiences: [TEST_AUDIENCE] });
    const token = `${b64('{"typ":"JWT","alg":"RS256","kid":"k"}')}.${b64('not json')}.${b64('sig')}`;
    await expect(v.validate(token)).rejects.toBeInstanceOf(InvalidTokenError);
  });

  it('answers every random or mutated token with a principal or InvalidTokenError, nothing else', async () => {
    const v = new TokenValidator({ authority: issuer.url, audiences: [TEST_AUDIENCE] });
    await fc.assert(
      fc.asyncProperty(anyToken, async (token) => {
        const result = await v.validate(token).then(
          (principal) => principal,
          (err: unknown) => err,
        );
        if (result instanceof InvalidTokenError) return;
        // Only the untouched token (or one whose change the signature does not cover) is accepted.
        expect(result).toEqual(expect.objectContaining({ tenantId: TENANT_A }));
      }),
      { numRuns: 400 },
    );
  });
});

describe('the authenticated pipeline', () => {
  const list = functions.find(
    (f): f is HttpFunctionDeclaration => f.kind === 'http' && f.name === 'connectors-list',
  ) as HttpFunctionDeclaration;

  it('answers 401 (or 400) with the envelope, never a 5xx, and logs nothing at error level', async () => {
    const levels: LogLevel[] = [];
    const handler = azureHandlerOf(list);
    await fc.assert(
      fc.asyncProperty(
        anyToken,
        fc.constantFrom('Bearer ', 'bearer  ', 'Bearer\t'),
        async (token, scheme) => {
          const header = `${scheme}${token}`;
          // fetch's Headers refuses control characters and newlines, as Node's HTTP parser would.
          let request: HttpRequest;
          try {
            request = new HttpRequest({
              method: 'GET',
              url: 'http://localhost/api/v1/connectors',
              headers: { authorization: header },
            });
          } catch {
            return;
          }
          const invocation = new InvocationContext({
            functionName: list.name,
            logHandler: (level) => levels.push(level),
          });
          const response = (await handler(request, invocation)) as HttpResponseInit;
          const status = response.status ?? 200;
          // 400: a comma reads as two Authorization headers joined (the Functions host's way).
          expect([200, 400, 401]).toContain(status);
          if (status >= 400)
            expect(response.jsonBody).toEqual(expect.objectContaining({ error: expect.any(String) }));
        },
      ),
      { numRuns: 300 },
    );
    expect(levels.filter((l) => l === 'error' || l === 'critical')).toEqual([]);
  });
});
