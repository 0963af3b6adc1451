// Platform error text reaches responses, last_error and logs; a platform that echoes a credential in it
// must not carry it through.
import { findDefinition } from '../src/platforms/registry/definitions';
import { ConnectorDefinition } from '../src/catalog/types';
import { exchangeCode } from '../src/oauth/engine';
import { callApi, PlatformApiError } from '../src/platforms/api';
import { metaApi } from '../src/platforms/meta/api';
import { knownError } from '../src/http/errors';
import { FakeServer, startFakeServer } from './fakes/http';

const TOKEN = 'EAAGm0PX4ZCpsBAKZCZB7Xa9u0IvAQWx2ZB1x4yZCz0h8Q3l';
let server: FakeServer;

beforeAll(async () => {
  server = await startFakeServer((req) =>
    req.path === '/token'
      ? { status: 400, body: { error: 'invalid_grant', error_description: `Bad refresh_token=${TOKEN}` } }
      : {
          status: 400,
          body: {
            error: { message: `Invalid OAuth access token: ${TOKEN}`, type: 'OAuthException', code: 190 },
          },
        },
  );
});
afterAll(() => server.close());

function meta(): ConnectorDefinition {
  const def = findDefinition('meta');
  if (!def) throw new Error('no meta');
  return { ...def, endpoints: { ...def.endpoints, api: server.url, token: `${server.url}/token` } };
}

it('an API error that echoes a token is masked before it goes anywhere', async () => {
  const err = await callApi(metaApi, { definition: meta(), config: {} }, 'x', {
    method: 'GET',
    url: `${server.url}/me`,
  }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(PlatformApiError);
  expect((err as Error).message).toMatch(/Invalid OAuth access token/);
  expect((err as Error).message).not.toContain(TOKEN);
});

it('a token endpoint error that echoes a token is masked too', async () => {
  const err = await exchangeCode(
    meta(),
    { clientId: '1', clientSecret: 's' },
    { code: 'c', redirectUri: 'http://x' },
  ).catch((e: unknown) => e);
  expect((err as Error).message).toMatch(/token endpoint/);
  expect((err as Error).message).not.toContain(TOKEN);
});

describe('an answer nested past what the service reads', () => {
  let deep: FakeServer;
  const nested = (n: number) => `{"data":${'['.repeat(n)}${']'.repeat(n)}}`;

  beforeAll(async () => {
    deep = await startFakeServer((req) => ({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: nested(req.path === '/shallow' ? 60 : 5000),
    }));
  });
  afterAll(() => deep.close());

  it('is a platform error (502 platform_error), never a 500 or a stack overflow', async () => {
    const err = await callApi(metaApi, { definition: meta(), config: {} }, 'x', {
      method: 'GET',
      url: `${deep.url}/me`,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PlatformApiError);
    expect((err as PlatformApiError).failure.kind).toBe('platform');
    // As the API answers it.
    expect(knownError(err)).toEqual(expect.objectContaining({ status: 502, code: 'platform_error' }));
    // Nesting a real platform uses is read as before.
    const shallow = await callApi(metaApi, { definition: meta(), config: {} }, 'x', {
      method: 'GET',
      url: `${deep.url}/shallow`,
    });
    expect(shallow.body).toEqual(JSON.parse(nested(60)));
  });
});
