// The local host's edge, over raw sockets where fetch would refuse to send what an attacker can: a malformed
// Host header, headers past Node's limit, broken framing. Each answer is the envelope, never a 500 or an empty
// body. Anonymous /health shows statuses only; JSON answers are neither cached nor sniffed.
import { connect } from 'node:net';
import { readJson } from './support/api';
import { startTestIssuer, TEST_AUDIENCE, TestIssuer } from './support/issuer';
import { RunningHost, startHost } from './support/localHost';

let issuer: TestIssuer;
let host: RunningHost;

beforeAll(async () => {
  issuer = await startTestIssuer();
  host = await startHost({ env: { AUTH_AUTHORITY: issuer.url, AUTH_AUDIENCE: TEST_AUDIENCE } });
});
afterAll(async () => {
  await host?.stop();
  await issuer?.close();
});

/** Sends `raw` on a fresh connection and resolves with everything the host wrote back before closing. */
function rawExchange(raw: string): Promise<{ status: number; headers: string; body: string }> {
  const { port, hostname } = new URL(host.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [head, ...rest] = text.split('\r\n\r\n');
      resolve({
        status: Number(head.split(' ')[1]),
        headers: head.toLowerCase(),
        body: rest.join('\r\n\r\n'),
      });
    });
    socket.write(raw);
  });
}

describe('before any function runs', () => {
  it.each([['bad host'], ['[::1'], ['a/b'], ['x@y']])(
    'a Host of %j is a 400 with the envelope',
    async (value) => {
      const res = await rawExchange(
        `GET /api/health HTTP/1.1\r\nHost: ${value}\r\nConnection: close\r\n\r\n`,
      );
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body)).toEqual(
        expect.objectContaining({ error: expect.any(String), code: 'invalid_host' }),
      );
    },
  );

  it('headers past the parser limit are a 431 with the envelope', async () => {
    const res = await rawExchange(
      `GET /api/health HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    expect(res.status).toBe(431);
    expect(res.headers).toContain('content-type: application/json');
    expect(JSON.parse(res.body)).toEqual(expect.objectContaining({ code: 'headers_too_large' }));
  });

  it('broken framing is a 400 with the envelope', async () => {
    const res = await rawExchange(
      `POST /api/v1/connectors HTTP/1.1\r\nHost: localhost\r\nContent-Length: abc\r\n\r\n{}`,
    );
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toEqual(
      expect.objectContaining({ error: expect.any(String), code: 'bad_request' }),
    );
  });
});

describe('answers', () => {
  it('anonymous /health shows each dependency by status only; a caller with a token sees the details', async () => {
    const anonymous = await readJson(await fetch(`${host.api}/health`));
    for (const state of Object.values(anonymous.dependencies)) {
      expect(Object.keys(state as object)).toEqual(['status']);
    }
    const text = JSON.stringify(anonymous);
    expect(text).not.toContain('127.0.0.1');
    expect(text).not.toContain(issuer.url);
    expect(text).not.toContain('devstoreaccount1');

    const detailed = await readJson(
      await fetch(`${host.api}/health`, { headers: { authorization: `Bearer ${await issuer.token()}` } }),
    );
    expect(detailed.dependencies.auth).toEqual({ status: 'ok', authority: issuer.url });
  });

  it('JSON answers, accepted or refused, carry Cache-Control: no-store and nosniff', async () => {
    const token = await issuer.token();
    for (const res of [
      await fetch(`${host.api}/v1/connectors`, { headers: { authorization: `Bearer ${token}` } }),
      await fetch(`${host.api}/v1/connectors`),
      await fetch(`${host.api}/v1/connectors/nope`, { headers: { authorization: `Bearer ${token}` } }),
      await fetch(`${host.api}/health`),
    ]) {
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      await res.arrayBuffer();
    }
  });
});

describe('connections', () => {
  it('keeps an idle connection 130 s like the Functions host (Kestrel), far past a client’s own idle timer', async () => {
    // A client drops an idle pooled connection after its own timer (undici: 4 s, or the hint less a second).
    // A host that closed sooner than that, or barely later, would race a client that reuses the connection just
    // as it closes ("other side closed"), which a loaded machine makes likely at the old 5 s.
    const res = await fetch(`${host.url}/api/health`);
    await res.arrayBuffer();
    expect(res.headers.get('connection')).toBe('keep-alive');
    expect(res.headers.get('keep-alive')).toBe('timeout=130');
  });
});
