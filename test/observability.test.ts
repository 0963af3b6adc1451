// Observability: one structured log line per request through the invocation context, never a secret in
// the output, W3C trace context from the caller (or the Functions host) to the log line and on to every
// platform call, and the counters on /health and in the sweep's log line. Through real HTTP against the
// local host, with the Google fake behind a proxy that records what the platform received.
import { HttpRequest, InvocationContext, LogLevel } from '@azure/functions';
import { randomBytes } from 'node:crypto';
import { createServer, request as httpRequest, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { GoogleFake } from './fakes/google';
import { Api, apiClient } from './support/api';
import { startTestIssuer, TEST_AUDIENCE, TestIssuer } from './support/issuer';
import { RunningHost, startHost } from './support/localHost';
import { secretsInText } from './support/scan';
import { httpHandler } from '../src/http/pipeline';
import { currentTrace, outgoingTraceparent, parseTraceparent } from '../src/shared/trace';

const CLIENT_ID = 'obs-client.apps.googleusercontent.com';
const CLIENT_SECRET = 'obs-client-secret-9f8e7d6c5b4a';
const BAD_JWT = `eyJhbGciOiJSUzI1NiJ9.${Buffer.from('{"tid":"x"}').toString('base64url')}AAAAAAAAAA.c2lnbmF0dXJlLWJhZC0xMjM0NTY3ODk`;
const BAD_OPAQUE = 'opaque-bad-bearer-5a4b3c2d1e0f';
const BODY_SECRET = 'never-logged-body-secret-77aa88bb';
const QUERY_CODE = 'forged-code-value-1234567890abcdef';
const QUERY_STATE = 'forged-state-value-abcdefghijklmnopqrstuvwxyz0123';

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

interface Recorded {
  method: string;
  path: string;
  traceparent?: string;
}

/** A pass-through proxy in front of a platform fake that records what each request carried. */
async function startRecordingProxy(
  target: string,
): Promise<{ url: string; seen: Recorded[]; close(): Promise<void> }> {
  const to = new URL(target);
  const seen: Recorded[] = [];
  const server: Server = createServer((req, res) => {
    const header = req.headers.traceparent;
    seen.push({
      method: req.method ?? '',
      path: (req.url ?? '/').split('?')[0],
      traceparent: Array.isArray(header) ? header.join(',') : header,
    });
    const upstream = httpRequest(
      { host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

type Line = Record<string, unknown>;

function jsonLines(output: string): Line[] {
  return output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Line);
}

describe('through the local host', () => {
  let issuer: TestIssuer;
  let google: GoogleFake;
  let proxy: Awaited<ReturnType<typeof startRecordingProxy>>;
  let host: RunningHost;
  let token: string;
  /** Every request sent to the host, by the request id it carried. */
  const sent = new Map<string, { expectedStatus?: number; traceId?: string; tenant: string | null }>();
  let output = '';
  let counter = 0;

  /** A call with its own request id, remembered for the log checks. */
  function call(
    method: string,
    path: string,
    options: { body?: unknown; token?: string | null; traceparent?: string; tenant?: string | null } = {},
  ) {
    const requestId = `obs-${++counter}-${hex(4)}`;
    const headers: Record<string, string> = { 'x-ms-client-request-id': requestId };
    if (options.traceparent) headers.traceparent = options.traceparent;
    const api: Api = apiClient(host.api, token);
    sent.set(requestId, {
      traceId: parseTraceparent(options.traceparent)?.traceId,
      tenant: options.tenant === undefined ? (issuerTenant ?? null) : options.tenant,
    });
    return { requestId, res: api(method, path, { body: options.body, token: options.token, headers }) };
  }
  let issuerTenant: string | undefined;
  /** The code and state of the real authorization. */
  let flowCode: string | undefined;
  let flowState: string | undefined;

  /** Records the trace id a platform call of request `requestId` carried: the log line must show it. */
  function traced(requestId: string, traceparent: string | undefined) {
    const entry = sent.get(requestId);
    const traceId = parseTraceparent(traceparent)?.traceId;
    expect(traceId).toBeDefined();
    if (entry) entry.traceId = traceId;
  }

  beforeAll(async () => {
    [issuer, google] = await Promise.all([startTestIssuer(), GoogleFake.start()]);
    google.addApp({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
    proxy = await startRecordingProxy(google.url);
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(google.env())) env[k] = v.replace(google.url, proxy.url);
    host = await startHost({
      env: {
        AUTH_AUTHORITY: issuer.url,
        AUTH_AUDIENCE: TEST_AUDIENCE,
        SWEEP_INTERVAL_SECONDS: '1',
        ...env,
      },
    });
    token = await issuer.token();
    issuerTenant = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')).tid;
  });

  afterAll(async () => {
    if (host) await host.stop();
    await Promise.all([proxy?.close(), google?.close(), issuer?.close()]);
  });

  it('drives requests that carry secrets, with and without a trace', async () => {
    // A configuration with a secret, traced by the caller.
    const traceA = hex(16);
    const created = call('POST', '/v1/connectors/configs', {
      traceparent: `00-${traceA}-${hex(8)}-01`,
      body: {
        name: 'observability',
        connector_type: 'youtube',
        config: { client_id: CLIENT_ID, client_secret: CLIENT_SECRET },
      },
    });
    const config = await created.res;
    expect(config.status).toBe(201);
    expect(config.headers.get('x-request-id') ?? config.body.metadata.request_id).toBe(created.requestId);

    // Refused tokens: a JWT-shaped one and an opaque one.
    expect((await call('GET', '/v1/connectors', { token: BAD_JWT, tenant: null }).res).status).toBe(401);
    expect((await call('GET', '/v1/connectors', { token: BAD_OPAQUE, tenant: null }).res).status).toBe(401);
    // A malformed traceparent is ignored, not echoed.
    const badTrace = call('GET', '/v1/connectors', { traceparent: `00-${BODY_SECRET}-zz-01` });
    expect((await badTrace.res).status).toBe(200);

    // Errors that could echo what was sent.
    expect(
      (
        await call('POST', '/v1/connectors/youtube/validate', {
          body: { config: { client_id: 5, client_secret: { nested: BODY_SECRET } } },
        }).res
      ).status,
    ).toBe(200);
    expect(
      (
        await call('PATCH', `/v1/connectors/configs/${config.body.data.id}`, {
          body: { config: { client_secret: BODY_SECRET, unknown_field: BODY_SECRET } },
        }).res
      ).status,
    ).toBe(400);
    const forged = `${host.api}/v1/connectors/oauth/callback?code=${QUERY_CODE}&state=${QUERY_STATE}`;
    const forgedId = `obs-${++counter}-${hex(4)}`;
    sent.set(forgedId, { tenant: null });
    const forgedRes = await fetch(forged, { headers: { 'x-ms-client-request-id': forgedId } });
    expect(forgedRes.status).toBe(400);
    await forgedRes.text();

    // A connection through the real flow; the callback carries a trace from the browser side.
    const started = call('POST', '/v1/connectors/oauth', {
      body: { connector_type: 'youtube', config_id: config.body.data.id },
    });
    const connection = (await started.res).body.data;
    const consent = await fetch(connection.authorization_url, { redirect: 'manual' });
    const callbackUrl = consent.headers.get('location') as string;
    const callbackQuery = new URL(callbackUrl).searchParams;
    flowCode = callbackQuery.get('code') ?? undefined;
    flowState = callbackQuery.get('state') ?? undefined;
    expect(flowCode).toBeDefined();
    const traceB = hex(16);
    const parentB = hex(8);
    const callbackId = `obs-${++counter}-${hex(4)}`;
    sent.set(callbackId, { traceId: traceB, tenant: null });
    const before = proxy.seen.length;
    const callback = await fetch(callbackUrl, {
      redirect: 'manual',
      headers: { 'x-ms-client-request-id': callbackId, traceparent: `00-${traceB}-${parentB}-01` },
    });
    expect(callback.status).toBe(200);
    await callback.text();

    // Every platform call of the callback (code exchange, identity) carried the trace id, each with a new span.
    const calls = proxy.seen.slice(before);
    expect(calls.length).toBeGreaterThanOrEqual(2);
    const parents = calls.map((c) => parseTraceparent(c.traceparent));
    for (const p of parents) {
      expect(p).toEqual({ traceId: traceB, parentId: expect.not.stringMatching(parentB), flags: '01' });
    }
    expect(new Set(parents.map((p) => p?.parentId)).size).toBe(calls.length);

    // Replaying the callback (its real code and state) answers 400.
    const replayId = `obs-${++counter}-${hex(4)}`;
    sent.set(replayId, { tenant: null });
    const replayed = await fetch(callbackUrl, { headers: { 'x-ms-client-request-id': replayId } });
    expect(replayed.status).toBe(400);
    await replayed.text();

    // A request without a trace that calls the platform: a trace is started, shared with the platform.
    const refreshed = call('POST', `/v1/connectors/oauth/${connection.id}/refresh`);
    const seenBefore = proxy.seen.length;
    expect((await refreshed.res).status).toBe(200);
    const refreshCall = proxy.seen.slice(seenBefore).find((c) => c.traceparent);
    expect(refreshCall).toBeDefined();
    traced(refreshed.requestId, refreshCall?.traceparent);

    // A platform rate limit: 429 with Retry-After, counted.
    google.failNext('rate_limit');
    const tested = call('POST', `/v1/connectors/oauth/${connection.id}/test`);
    const limited = await tested.res;
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    traced(tested.requestId, proxy.seen[proxy.seen.length - 1].traceparent);

    // A revoked grant: the refresh fails, counted.
    google.revokeAllGrants();
    const failed = call('POST', `/v1/connectors/oauth/${connection.id}/refresh`);
    const seenBeforeFail = proxy.seen.length;
    expect((await failed.res).status).toBe(409);
    traced(failed.requestId, proxy.seen[seenBeforeFail]?.traceparent);

    // The counters on /health: numbers only.
    const health = call('GET', '/health', { token: null, tenant: null });
    const body = (await health.res).body;
    expect(body.counters).toEqual({
      refreshes: 1,
      refresh_failures: 1,
      platform_rate_limits: 1,
      since: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });

    // Wait for a sweep that starts after the traffic above (a sweep line written earlier carries older
    // counters): the first line written after this point may come from a run already under way, the
    // second comes from a run that began after it.
    const sweepLines = () =>
      host
        .output()
        .split('\n')
        .filter((l) => l.includes('"event":"sweep"')).length;
    const sweepsSoFar = sweepLines();
    const deadline = Date.now() + 20000;
    while (sweepLines() < sweepsSoFar + 2) {
      if (Date.now() > deadline) throw new Error(`no two sweeps after the traffic:\n${host.output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await host.stop();
    output = host.output();
  }, 60000);

  it('wrote none of the secrets, tokens, codes or states', () => {
    expect(output).not.toBe('');
    const secrets = [
      CLIENT_SECRET,
      BAD_JWT,
      BAD_OPAQUE,
      BODY_SECRET,
      QUERY_CODE,
      QUERY_STATE,
      token,
      flowCode,
      flowState,
    ].filter((s): s is string => !!s);
    expect(secretsInText(output, secrets)).toEqual([]);
    // Nothing shaped like a JWT or a bearer credential either.
    expect(output).not.toMatch(/eyJ[\w-]{10,}\.[\w-]{10,}\./);
    expect(output).not.toMatch(/bearer\s+(?!\[redacted\])[\w-.~+/]{8,}/i);
  });

  it('wrote one JSON request line per request, with function, status, duration, tenant, request id, trace id', () => {
    const lines = jsonLines(output).filter((l) => l.event === 'request');
    for (const [requestId, expected] of sent) {
      const mine = lines.filter((l) => l.request_id === requestId);
      expect(mine).toHaveLength(1);
      const line = mine[0];
      expect(line).toEqual(
        expect.objectContaining({
          level: 'information',
          function: expect.any(String),
          method: expect.any(String),
          status: expect.any(Number),
          duration_ms: expect.any(Number),
          tenant: expected.tenant,
          request_id: requestId,
          invocation_id: expect.any(String),
          time: expect.any(String),
        }),
      );
      if (expected.traceId) expect(line.trace_id).toBe(expected.traceId);
      else expect(line.trace_id).toBeNull();
    }
    // One line per request, and no request served that the test did not send.
    expect(lines).toHaveLength(sent.size);
    const byFunction = (name: string) => lines.filter((l) => l.function === name).map((l) => l.status);
    expect(byFunction('configs-create')).toEqual([201]);
    expect(byFunction('oauth-callback').sort()).toEqual([200, 400, 400]);
    expect(byFunction('health')).toEqual([200]);
  });

  it("the sweep's line carries the counters", () => {
    const sweep = jsonLines(output)
      .filter((l) => l.event === 'sweep')
      .pop();
    expect(sweep).toBeDefined();
    expect(sweep?.counters).toEqual({
      refreshes: 1,
      refresh_failures: 1,
      platform_rate_limits: 1,
      since: expect.any(String),
    });
  });
});

describe('in process: the pipeline', () => {
  interface Captured {
    level: LogLevel;
    message: string;
  }

  function invocationWith(captured: Captured[], traceParent?: string): InvocationContext {
    return new InvocationContext({
      functionName: 'test-fn',
      traceContext: traceParent ? { traceParent } : undefined,
      logHandler: (level, ...args) => captured.push({ level, message: args.map(String).join(' ') }),
    });
  }

  const request = (headers: Record<string, string> = {}) =>
    new HttpRequest({ method: 'GET', url: 'http://localhost/api/x', headers });

  const requestLine = (captured: Captured[]) =>
    JSON.parse(captured.find((c) => c.message.includes('"event":"request"'))?.message ?? '{}') as Line;

  it("prefers the Functions host's trace context to the caller's header", async () => {
    const captured: Captured[] = [];
    const host = `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`;
    const caller = `00-${'c'.repeat(32)}-${'d'.repeat(16)}-00`;
    let seen: string | undefined;
    const handler = httpHandler('t', [], async () => {
      seen = outgoingTraceparent();
      return { status: 204 };
    });
    await handler(request({ traceparent: caller }), invocationWith(captured, host));
    expect(requestLine(captured)).toMatchObject({ function: 't', status: 204, trace_id: 'a'.repeat(32) });
    expect(parseTraceparent(seen)).toEqual({
      traceId: 'a'.repeat(32),
      parentId: expect.stringMatching(/^[\da-f]{16}$/),
      flags: '01',
    });
    expect(parseTraceparent(seen)?.parentId).not.toBe('b'.repeat(16));
  });

  it('keeps the trace per request across awaits, and none outside a request', async () => {
    const traces = Array.from({ length: 5 }, () => hex(16));
    const handler = httpHandler('t', [], async (ctx) => {
      await new Promise((r) => setTimeout(r, Math.random() * 20));
      return { status: 200, jsonBody: { mine: currentTrace()?.traceId, requestId: ctx.requestId } };
    });
    const answers = await Promise.all(
      traces.map((t) => handler(request({ traceparent: `00-${t}-${hex(8)}-01` }), invocationWith([]))),
    );
    expect(answers.map((a) => (a.jsonBody as { mine: string }).mine)).toEqual(traces);
    expect(currentTrace()).toBeUndefined();
    expect(outgoingTraceparent()).toBeUndefined();
  });

  it('starts a trace on the first platform call of an untraced request, shared by its later calls', async () => {
    const captured: Captured[] = [];
    const sentHeaders: string[] = [];
    const handler = httpHandler('t', [], async () => {
      sentHeaders.push(outgoingTraceparent() as string, outgoingTraceparent() as string);
      return { status: 200 };
    });
    await handler(request(), invocationWith(captured));
    const [a, b] = sentHeaders.map((h) => parseTraceparent(h));
    expect(a?.traceId).toBe(b?.traceId);
    expect(a?.parentId).not.toBe(b?.parentId);
    expect(a?.flags).toBe('00');
    expect(requestLine(captured).trace_id).toBe(a?.traceId);
  });

  it('redacts what handlers log and what an unexpected error carries', async () => {
    const captured: Captured[] = [];
    const handler = httpHandler('t', [], async (ctx) => {
      ctx.invocation.warn(`platform said: {"access_token":"${BODY_SECRET}"}`);
      ctx.invocation.info('refresh_token=', BODY_SECRET.length, `refresh_token=${BODY_SECRET}`);
      ctx.invocation.error(`Authorization: Bearer ${BAD_OPAQUE}`);
      throw new Error(`token endpoint rejected client_secret=${CLIENT_SECRET} with code=${QUERY_CODE}`);
    });
    const res = await handler(request(), invocationWith(captured));
    expect(res.status).toBe(500);
    expect(JSON.stringify(res.jsonBody)).not.toContain(CLIENT_SECRET);
    const all = captured.map((c) => c.message).join('\n');
    expect(secretsInText(all, [BODY_SECRET, BAD_OPAQUE, CLIENT_SECRET, QUERY_CODE])).toEqual([]);
    expect(captured.map((c) => c.level)).toEqual(['warning', 'information', 'error', 'error', 'information']);
    expect(all).toContain('[redacted]');
  });

  it('writes exactly one request line, with null tenant and trace when there are none', async () => {
    const captured: Captured[] = [];
    await httpHandler('anon', [], async () => ({ status: 200 }))(
      request({ 'x-ms-client-request-id': 'req-1' }),
      invocationWith(captured),
    );
    expect(captured).toHaveLength(1);
    expect(requestLine(captured)).toEqual({
      event: 'request',
      function: 'anon',
      method: 'GET',
      status: 200,
      duration_ms: expect.any(Number),
      tenant: null,
      request_id: 'req-1',
      trace_id: null,
    });
  });
});

describe('parseTraceparent', () => {
  const t = 'f'.repeat(32);
  const p = 'e'.repeat(16);
  it.each([
    [`00-${t}-${p}-01`, { traceId: t, parentId: p, flags: '01' }],
    [`00-${t.toUpperCase()}-${p}-00`, { traceId: t, parentId: p, flags: '00' }],
    [`01-${t}-${p}-01-extra`, { traceId: t, parentId: p, flags: '01' }],
  ])('accepts %s', (value, expected) => {
    expect(parseTraceparent(value)).toEqual(expected);
  });
  it.each([
    undefined,
    '',
    `ff-${t}-${p}-01`,
    `00-${'0'.repeat(32)}-${p}-01`,
    `00-${t}-${'0'.repeat(16)}-01`,
    `00-${t}-${p}-01-extra`,
    `00-${t.slice(1)}-${p}-01`,
    `00-${t}-${p}`,
    `00-${t}-${p}-01${'x'.repeat(300)}`,
  ])('refuses %s', (value) => {
    expect(parseTraceparent(value)).toBeUndefined();
  });
});
