// redact(): the last line of defence for log text. Credentials go, the words around them and the numbers
// worth keeping (status codes, error codes, ids) stay.
import { redact } from '../src/shared/redact';

const SECRET = 's3cr3t-VALUE-0123456789';

describe('redact', () => {
  it.each([
    ['Authorization: Bearer abcdefghijklmnop', 'Authorization: Bearer [redacted]'],
    ['authorization: Basic dXNlcjpwYXNzd29yZA==', 'authorization: Basic [redacted]'],
    ['SharedKey devstoreaccount1:c2lnbmF0dXJlMTIz', 'SharedKey [redacted]'],
    ['access_token=abc&x=1', 'access_token=[redacted]&x=1'],
    ['?refresh_token=abc123&client_secret=def456', '?refresh_token=[redacted]&client_secret=[redacted]'],
    [
      '{"access_token":"abcdefgh","token_type":"Bearer","expires_in":3600}',
      '{"access_token":"[redacted]","token_type":"Bearer","expires_in":3600}',
    ],
    ['{\\"refresh_token\\":\\"rt-secret-123\\"}', '{\\"refresh_token\\":\\"[redacted]\\"}'],
    ["{ 'app_secret': 'abc' }", "{ 'app_secret': '[redacted]' }"],
    ['client_secret: shh', 'client_secret: [redacted]'],
    ['password=x', 'password=[redacted]'],
    ['developer_token = devtok-123456', 'developer_token = [redacted]'],
    ['code_verifier=abc', 'code_verifier=[redacted]'],
    ['fb_exchange_token=EAAxyz', 'fb_exchange_token=[redacted]'],
    ['X-IDENTITY-HEADER: 0a1b2c3d', 'X-IDENTITY-HEADER: [redacted]'],
    ['code=4/0AbCdEfGhIjKlMn&state=abcdefghijklmnopqrstuvwxyz', 'code=[redacted]&state=[redacted]'],
    [
      'oauth_signature="tnnArxj06cWHq44gCs1OSKk%2FjLY%3D", oauth_token="370773112-GmHxMAgYyLbNEtIKZeRNF"',
      'oauth_signature="[redacted]", oauth_token="[redacted]"',
    ],
    ['state=abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ', 'state=[redacted]'],
    ['api_key=xyz&key=AIzaSyA-1234567890abcdefghijklmnopqrstu', 'api_key=[redacted]&key=[redacted]'],
  ])('masks the value in %s', (input, expected) => {
    expect(redact(input)).toBe(expected);
  });

  it.each([
    [
      'a JWT anywhere',
      'token was eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abcdefghijklmnop here',
      'token was [redacted-jwt] here',
    ],
    ['a Meta token', 'got EAABwzLixnjYBAOZB1234567890abc back', 'got [redacted-token] back'],
    ['a Google access token', 'used ya29.a0AfH6SMBx1234567890abcdefg', 'used [redacted-token]'],
    ['a Google refresh token', 'kept 1//0gAbCdEfGhIjKlMnOpQrStUv', 'kept [redacted-token]'],
    ['a Google API key', 'AIzaSyA-1234567890abcdefghijklmnopqrstu', '[redacted-token]'],
  ])('masks %s by its shape', (_name, input, expected) => {
    expect(redact(input)).toBe(expected);
  });

  it.each([
    'code: 190',
    '"code":"OAuthException"',
    'status_code=500',
    'error_code: 4',
    'state: active',
    'error_subcode=InvalidGrant',
    'RowKey: abcdefghijklmnop',
    'encode=abcdefghijk',
    'token_type=Bearer',
    'expires_in: 3600',
    'connection 5b0d2c3e-1111-4a4a-9999-000000000001 renewed',
    'GET /v1/connectors/configs/42 answered 404',
  ])('keeps %s', (input) => {
    expect(redact(input)).toBe(input);
  });

  it('masks every occurrence, and a stack keeps its frames', () => {
    const err = new Error(`token endpoint said {"access_token":"${SECRET}","refresh_token":"${SECRET}"}`);
    const out = redact(err.stack ?? '');
    expect(out).not.toContain(SECRET);
    expect(out.match(/\[redacted\]/g)).toHaveLength(2);
    expect(out).toMatch(/\n\s+at /);
  });

  it('is idempotent', () => {
    const once = redact(`Bearer ${SECRET} client_secret=${SECRET}`);
    expect(redact(once)).toBe(once);
  });
});
