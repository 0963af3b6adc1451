// Where a client can tell the hosts apart, they answer alike. Each case runs twice: through the local host
// over raw HTTP (so repeated headers and chunked bodies reach it as a client sends them), and in process
// with the request shaped the way the Functions host hands it to the worker (azure-functions-host's
// ToRpcHttp: repeated query and header values joined with ",", a body only with a declared length).
import { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fallbackFunction, httpFunctions } from '../functions/routes';
import { errorResponse } from '../src/http/pipeline';
import { RequestContext } from '../src/http/context';
import { azureHandlerOf } from '../src/routing/azureHandler';
import { LocalKeyConfigurationError, loadKeyRing } from '../src/secrets/localKeys';
import { resetSettings } from '../src/settings';
import { startTestIssuer, TEST_AUDIENCE, TestIssuer } from './support/issuer';
import { RunningHost, startHost } from './support/localHost';

let issuer: TestIssuer;
let host: RunningHost;
let token: string;
const saved = { ...process.env };

beforeAll(async () => {
  issuer = await startTestIssuer();
  host = await startHost({ env: { AUTH_AUTHORITY: issuer.url, AUTH_AUDIENCE: TEST_AUDIENCE } });
  token = await issuer.token();
  process.env.AUTH_AUTHORITY = issuer.url;
  process.env.AUTH_AUDIENCE = TEST_AUDIENCE;
  resetSettings();
}, 60000);

afterAll(async () => {
  process.env = { ...saved };
  resetSettings();
  await host?.stop();
  await issuer?.close();
});

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Sends `head` (request line and headers, CRLF-separated, no blank line) and `body` as written. */
function raw(head: string[], body = ''): Promise<RawAnswer> {
  const port = Number(new URL(host.url).port);
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      const lines = text.slice(0, split).split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const i = line.indexOf(':');
        headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
      }
      resolve({ status: Number(lines[0].split(' ')[1]), headers, body: text.slice(split + 4) });
    });
    socket.write([...head, `Host: 127.0.0.1:${port}`, 'Connection: close', '', body].join('\r\n'));
  });
}

/** A function of the route table, invoked with the request the Functions host would build. */
async function underFunctionsHost(name: string, init: ConstructorParameters<typeof HttpRequest>[0]) {
  const fn = [...httpFunctions, fallbackFunction].find((f) => f.name === name);
  if (!fn) throw new Error(`no function ${name}`);
  const context = new InvocationContext({ functionName: name, logHandler: () => undefined });
  return (await azureHandlerOf(fn)(new HttpRequest(init), context)) as HttpResponseInit;
}

const bodyOf = (answer: HttpResponseInit) =>
  answer.jsonBody as { error: string; code: string; details?: unknown };

describe('repeated query parameters', () => {
  it('the local host answers 400 naming the parameter', async () => {
    const answer = await raw([
      'GET /api/v1/connectors/configs?limit=1&LIMIT=2 HTTP/1.1',
      `Authorization: Bearer ${token}`,
    ]);
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toEqual(
      expect.objectContaining({
        code: 'repeated_query_parameter',
        error: expect.stringContaining('"LIMIT"'),
        details: { parameter: 'LIMIT' },
      }),
    );
  });

  it('under the Functions host (values joined as "1,2") the same 400', async () => {
    const answer = await underFunctionsHost('configs-list', {
      method: 'GET',
      url: 'http://localhost/api/v1/connectors/configs?limit=1&LIMIT=2',
      query: { limit: '1,2' },
      headers: { authorization: `Bearer ${token}` },
    });
    expect(answer.status).toBe(400);
    expect(bodyOf(answer)).toEqual(
      expect.objectContaining({ code: 'repeated_query_parameter', details: { parameter: 'LIMIT' } }),
    );
  });

  it('one value with a comma is not a repetition: it reaches the handler, which judges it', async () => {
    const answer = await raw([
      'GET /api/v1/connectors/configs?limit=1,2 HTTP/1.1',
      `Authorization: Bearer ${token}`,
    ]);
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body).code).not.toBe('repeated_query_parameter');
  });
});

describe('repeated headers', () => {
  it('the local host joins them as the Functions host does, and the app answers 400 naming the header', async () => {
    // Node alone would keep the first Authorization and let the request through.
    const answer = await raw([
      'GET /api/v1/connectors HTTP/1.1',
      `Authorization: Bearer ${token}`,
      `Authorization: Bearer ${token}`,
    ]);
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toEqual(
      expect.objectContaining({ code: 'repeated_header', details: { header: 'Authorization' } }),
    );
  });

  it('under the Functions host the same 400', async () => {
    const answer = await underFunctionsHost('connectors-list', {
      method: 'GET',
      url: 'http://localhost/api/v1/connectors',
      headers: { authorization: `Bearer ${token},Bearer ${token}` },
    });
    expect(answer.status).toBe(400);
    expect(bodyOf(answer)).toEqual(
      expect.objectContaining({ code: 'repeated_header', details: { header: 'Authorization' } }),
    );
  });

  it('a repeated X-Session-Id too', async () => {
    const answer = await raw([
      'GET /api/v1/connectors HTTP/1.1',
      `Authorization: Bearer ${token}`,
      'X-Session-Id: ses_a',
      'X-Session-Id: ses_b',
    ]);
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body).details).toEqual({ header: 'X-Session-Id' });
  });
});

describe('a chunked body without Content-Length', () => {
  const json = '{"config":{"client_key":"abc123"}}';

  it('the local host answers 411', async () => {
    const chunked = `${json.length.toString(16)}\r\n${json}\r\n0\r\n\r\n`;
    const answer = await raw(
      [
        'POST /api/v1/connectors/tiktok/validate HTTP/1.1',
        `Authorization: Bearer ${token}`,
        'Content-Type: application/json',
        'Transfer-Encoding: chunked',
      ],
      chunked,
    );
    expect(answer.status).toBe(411);
    expect(JSON.parse(answer.body).code).toBe('length_required');
  });

  it('under the Functions host (which passes no body) the same 411', async () => {
    const answer = await underFunctionsHost('connectors-validate', {
      method: 'POST',
      url: 'http://localhost/api/v1/connectors/tiktok/validate',
      params: { connector_type: 'tiktok' },
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'transfer-encoding': 'chunked',
      },
    });
    expect(answer.status).toBe(411);
    expect(bodyOf(answer).code).toBe('length_required');
  });

  it('the same body with its length is read', async () => {
    const answer = await raw(
      [
        'POST /api/v1/connectors/tiktok/validate HTTP/1.1',
        `Authorization: Bearer ${token}`,
        'Content-Type: application/json',
        `Content-Length: ${json.length}`,
      ],
      json,
    );
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).data.valid).toBe(false);
  });
});

describe('HEAD and OPTIONS', () => {
  it('the fallback declares them, so the Functions host routes them to it', () => {
    expect(fallbackFunction.methods).toEqual(expect.arrayContaining(['HEAD', 'OPTIONS']));
  });

  it.each(['HEAD', 'OPTIONS'])('%s on a GET route: 405 with Allow on both hosts', async (method) => {
    const local = await raw([`${method} /api/v1/connectors HTTP/1.1`]);
    expect(local.status).toBe(405);
    expect(local.headers.allow).toBe('GET');
    const azure = await underFunctionsHost('fallback', {
      method,
      url: 'http://localhost/api/v1/connectors',
      params: { path: 'v1/connectors' },
    });
    expect(azure.status).toBe(405);
    expect(azure.headers).toEqual(expect.objectContaining({ Allow: 'GET' }));
  });

  it('HEAD answers without a body', async () => {
    const answer = await raw(['HEAD /api/v1/nowhere HTTP/1.1']);
    expect(answer.status).toBe(404);
    expect(answer.body).toBe('');
  });
});

describe('outside the route prefix', () => {
  it('an empty 404, as the Functions host answers', async () => {
    for (const path of ['/nothing', '/v1/connectors', '/apix/v1/connectors']) {
      const answer = await raw([`GET ${path} HTTP/1.1`]);
      expect({
        path,
        status: answer.status,
        body: answer.body,
        type: answer.headers['content-type'],
      }).toEqual({
        path,
        status: 404,
        body: '',
        type: undefined,
      });
    }
  });

  it('"/" answers 204, as the host does with its home page turned off (AzureWebJobsDisableHomepage)', async () => {
    const answer = await raw(['GET / HTTP/1.1']);
    expect(answer.status).toBe(204);
    expect(answer.body).toBe('');
  });
});

describe('the local secret store in Azure', () => {
  it('refuses to start without LOCAL_SECRETS_KEY when WEBSITE_INSTANCE_ID is set, and writes no file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'st-keys-'));
    try {
      const load = () => loadKeyRing({ WEBSITE_INSTANCE_ID: 'abc123' }, join(dir, 'data'));
      expect(load).toThrow(LocalKeyConfigurationError);
      expect(load).toThrow(/WEBSITE_INSTANCE_ID.*LOCAL_SECRETS_KEY.*KEY_VAULT_URL/);
      expect(existsSync(join(dir, 'data'))).toBe(false);
      expect(readdirSync(dir)).toEqual([]);
      // With the key it starts, and still writes nothing.
      const ring = loadKeyRing(
        { WEBSITE_INSTANCE_ID: 'abc123', LOCAL_SECRETS_KEY: Buffer.alloc(32, 1).toString('base64') },
        join(dir, 'data'),
      );
      expect(ring.source).toBe('LOCAL_SECRETS_KEY');
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a request needing a secret answers 503 with that message, not 500', () => {
    const ctx = {
      requestId: 'r1',
      invocation: new InvocationContext({ logHandler: () => undefined }),
    } as unknown as RequestContext;
    const malformed = () => loadKeyRing({ LOCAL_SECRETS_KEY: 'not a key' }, '/nonexistent');
    expect(malformed).toThrow(/LOCAL_SECRETS_KEY must be the base64 of exactly 32 bytes/);
    let thrown: unknown;
    try {
      malformed();
    } catch (err) {
      thrown = err;
    }
    const answer = errorResponse(ctx, thrown);
    expect(answer.status).toBe(503);
    expect(bodyOf(answer)).toEqual(
      expect.objectContaining({
        code: 'secret_store_unavailable',
        error: expect.stringMatching(/LOCAL_SECRETS_KEY/),
      }),
    );
    expect(JSON.stringify(answer.jsonBody)).not.toContain('not a key');
  });
});
