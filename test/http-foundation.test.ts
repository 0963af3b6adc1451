// The foundation through real HTTP: the local host (built dist/), embedded Azurite, and a real OpenID issuer.
import { readJson } from './support/api';
import { startHost, RunningHost } from './support/localHost';
import { startTestIssuer, TENANT_B, TEST_AUDIENCE, TestIssuer } from './support/issuer';

let issuer: TestIssuer;
let host: RunningHost;
let token: string;

beforeAll(async () => {
  issuer = await startTestIssuer();
  host = await startHost({ env: { AUTH_AUTHORITY: issuer.url, AUTH_AUDIENCE: TEST_AUDIENCE } });
  token = await issuer.token();
});
afterAll(async () => {
  await host?.stop();
  await issuer?.close();
});

const call = (path: string, init: RequestInit & { token?: string | null } = {}) => {
  const headers = new Headers(init.headers);
  const bearer = init.token === undefined ? token : init.token;
  if (bearer) headers.set('authorization', `Bearer ${bearer}`);
  return fetch(`${host.api}${path}`, { ...init, headers });
};

describe('catalog', () => {
  it('lists the eight connector types in the envelope', async () => {
    const res = await call('/v1/connectors');
    expect(res.status).toBe(200);
    const body = await readJson(res);
    expect(body.success).toBe(true);
    expect(body.metadata.request_id).toEqual(expect.any(String));
    expect(body.data.map((c: { type: string }) => c.type)).toEqual([
      'meta',
      'google_ads',
      'facebook',
      'instagram',
      'twitter',
      'linkedin',
      'youtube',
      'tiktok',
      'tiktok_ads',
    ]);
    for (const c of body.data) {
      expect(c).toEqual(
        expect.objectContaining({
          name: expect.any(String),
          description: expect.any(String),
          auth_type: 'oauth2',
          capabilities: expect.any(Array),
        }),
      );
    }
  });

  it('answers one type, case-insensitively, with its schema; the schema route agrees', async () => {
    const res = await call('/v1/connectors/FACEBOOK');
    const body = await readJson(res);
    expect(res.status).toBe(200);
    expect(body.data.type).toBe('facebook');
    expect(body.data.schema.properties.app_secret.writeOnly).toBe(true);
    const schema = await readJson(await call('/v1/connectors/types/Facebook/schema'));
    expect(schema.data).toEqual(body.data.schema);
  });

  it('validates a configuration and reports errors with paths', async () => {
    const post = (type: string, body: unknown) =>
      call(`/v1/connectors/${type}/validate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const ok = await readJson(await post('tiktok', { config: { client_key: 'abc123', client_secret: 'x' } }));
    expect(ok.data).toEqual({ valid: true, errors: [] });
    const bad = await readJson(await post('tiktok', { config: { client_secret: 'x', nope: true } }));
    expect(bad.data.valid).toBe(false);
    expect(bad.data.errors).toEqual(
      expect.arrayContaining([
        { path: '/client_key', message: 'is required' },
        { path: '/nope', message: 'is not a field of this connector type' },
      ]),
    );
    expect((await post('tiktok', { configuration: {} })).status).toBe(400);
    expect((await post('myspace', { config: {} })).status).toBe(404);
  });
});

describe('HTTP conventions', () => {
  const postJson = (body: string, contentType = 'application/json') =>
    call('/v1/connectors/meta/validate', { method: 'POST', headers: { 'content-type': contentType }, body });

  it('malformed JSON → 400, non-JSON → 415, over 1 MiB → 413', async () => {
    const malformed = await postJson('{"config":');
    expect(malformed.status).toBe(400);
    expect((await readJson(malformed)).error).toMatch(/not valid JSON/);
    expect((await postJson('config=1', 'application/x-www-form-urlencoded')).status).toBe(415);
    const huge = await postJson(JSON.stringify({ config: { app_id: '1', pad: 'x'.repeat(1024 * 1024) } }));
    expect(huge.status).toBe(413);
  });

  it('a body with no Content-Type is read as JSON', async () => {
    // fetch labels a string body text/plain; raw bytes go with no Content-Type at all.
    const bytes = await call('/v1/connectors/meta/validate', {
      method: 'POST',
      body: new TextEncoder().encode('{"config":{"app_id":"1"}}'),
    });
    expect(bytes.status).toBe(200);
    expect((await readJson(bytes)).data.valid).toBe(false);
  });

  it('unknown route → 404, wrong method → 405 with Allow', async () => {
    const missing = await call('/v1/nowhere');
    expect(missing.status).toBe(404);
    expect((await readJson(missing)).error).toEqual(expect.any(String));
    const wrong = await call('/v1/connectors', { method: 'DELETE' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET');
  });

  it('takes the request id from x-ms-client-request-id or traceparent', async () => {
    const a = await readJson(
      await call('/v1/connectors', { headers: { 'x-ms-client-request-id': 'client-req-1' } }),
    );
    expect(a.metadata.request_id).toBe('client-req-1');
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const b = await readJson(
      await call('/v1/connectors', { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } }),
    );
    expect(b.metadata.request_id).toBe(traceId);
  });
});

describe('authentication through the host', () => {
  it('401 without a token, with a bare Bearer challenge', async () => {
    const res = await call('/v1/connectors', { token: null });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect((await readJson(res)).error).toEqual(expect.any(String));
  });

  it('401 with error="invalid_token" for a bad token', async () => {
    for (const bad of [
      'garbage',
      await issuer.token({ aud: 'api://other' }),
      await issuer.token({ exp: 1000 }),
    ]) {
      const res = await call('/v1/connectors', { token: bad });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
    }
  });

  it('403 without the permission; GET accepts Read, POST needs ReadWrite', async () => {
    const none = await issuer.token({ scp: 'User.Read' });
    expect((await call('/v1/connectors', { token: none })).status).toBe(403);
    const reader = await issuer.token({ scp: 'Connectors.Read' });
    expect((await call('/v1/connectors', { token: reader })).status).toBe(200);
    const post = await call('/v1/connectors/meta/validate', {
      token: reader,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"config":{}}',
    });
    expect(post.status).toBe(403);
    const app = await issuer.token({ scp: null, roles: ['Connectors.ReadWrite.All'], tid: TENANT_B });
    expect((await call('/v1/connectors', { token: app })).status).toBe(200);
  });

  it('health and OpenAPI need no token', async () => {
    const health = await call('/health', { token: null });
    expect(health.status).toBe(200);
    const body = await readJson(health);
    expect(body.status).toBe('ok');
    expect(body.dependencies.storage.status).toBe('ok');
    const doc = await readJson(await call('/v1/openapi.json', { token: null }));
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/v1/connectors', '/api/v1/connectors/{connector_type}/validate']),
    );
  });

  it('never writes the token into the logs', async () => {
    expect(host.output()).not.toContain(token);
    expect(host.output()).toContain('"event":"request"');
  });
});

describe('the local host process', () => {
  it('stops cleanly on SIGINT, Azurite included, and keeps its data for the next start', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dataDir = mkdtempSync(join(tmpdir(), 'st-sigint-'));
    const env = { AUTH_AUTHORITY: issuer.url, AUTH_AUDIENCE: TEST_AUDIENCE };
    try {
      const first = await startHost({ dataDir, env });
      const created = await fetch(`${first.api}/v1/connectors/configs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          name: 'kept',
          connector_type: 'tiktok',
          config: { client_key: 'abc', client_secret: 's' },
        }),
      });
      const id = (await readJson(created)).data.id;
      expect(await first.stop('SIGINT')).toBe(0);
      expect(first.output()).toContain('SIGINT received');
      const second = await startHost({ dataDir, env });
      const again = await fetch(`${second.api}/v1/connectors/configs/${id}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect((await readJson(again)).data.name).toBe('kept');
      expect(await second.stop()).toBe(0);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
