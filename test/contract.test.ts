// The contract declared once per route: the pipeline checks requests against it before the handler runs, and the
// OpenAPI document is generated from it (so what the document says is what the code refuses). In process: no host.
import { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { httpFunctions } from '../functions/routes';
import { RequestContext } from '../src/http/context';
import { success } from '../src/http/envelope';
import { httpHandler } from '../src/http/pipeline';
import { requestCheck } from '../src/http/requestContract';
import { connectionContracts } from '../src/openapi/connections';
import { operationContracts } from '../src/openapi/operations';
import { openApiDocument } from '../src/openapi/document';
import { INPUT_LIMITS } from '../src/openapi/limits';
import { CONFIG_STATUSES } from '../src/stores/configurationStore';
import { CONNECTION_STATUSES } from '../src/stores/connectionStore';
import { DELIVERY_STATUSES } from '../src/stores/webhookStore';
import { RouteContract } from '../src/openapi/contract';
import { ResponseChecker } from './support/client';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- reading the document

const doc = openApiDocument(httpFunctions, 'http://localhost:7071') as Json;
const op = (path: string, method: string): Json => doc.paths[`/api/${path}`][method];
const dataOf = (operation: Json, status = 200): Json =>
  operation.responses[status].content['application/json'].schema.properties.data;

/** Runs one request through the conventions and a route's request check; `reached` says if the handler ran. */
async function send(
  contract: RouteContract,
  init: { method?: string; body?: unknown; headers?: Record<string, string>; query?: string },
) {
  let reached = false;
  const check = requestCheck(contract);
  const handler = httpHandler('contract-test', check ? [check] : [], async (ctx: RequestContext) => {
    reached = true;
    return success(ctx.requestId, { ok: true });
  });
  const text = init.body === undefined ? undefined : JSON.stringify(init.body);
  const request = new HttpRequest({
    method: init.method ?? 'POST',
    url: `http://localhost/api/test${init.query ?? ''}`,
    headers: {
      ...(text
        ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) }
        : {}),
      ...init.headers,
    },
    body: text ? { string: text } : undefined,
  });
  const context = new InvocationContext({ functionName: 'contract-test', logHandler: () => undefined });
  const res = (await handler(request, context)) as HttpResponseInit;
  return { status: res.status ?? 200, body: res.jsonBody as Json, reached };
}

describe('requests are checked against the route contract before the handler', () => {
  it('refuses a bad connection body with the JSON path of each problem, and never reaches the handler', async () => {
    const res = await send(connectionContracts.create, {
      body: { connector_type: 'meta', name: '', scopes: [], extra: 1 },
    });
    expect(res).toMatchObject({ status: 400, reached: false });
    expect(res.body).toMatchObject({ code: 'bad_request', error: expect.stringContaining('/name') });
    expect(res.body.details.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ in: 'body', path: '/name' }),
        expect.objectContaining({ in: 'body', path: '/scopes' }),
        { in: 'body', path: '/extra', message: 'is not a known field' },
      ]),
    );
  });

  it('holds the drifted limits: name 1 to 200 characters, not blank; scopes 1 to 50', async () => {
    const body = (extra: Json) => ({ connector_type: 'meta', ...extra });
    const refused = [
      { name: 'x'.repeat(INPUT_LIMITS.nameLength + 1) },
      { name: '   ' },
      { scopes: Array.from({ length: INPUT_LIMITS.scopeCount + 1 }, (_, i) => `s${i}`) },
      { scopes: ['has space'] },
    ];
    for (const extra of refused) {
      expect(await send(connectionContracts.create, { body: body(extra) })).toMatchObject({
        status: 400,
        reached: false,
      });
    }
    const accepted = { name: 'x'.repeat(INPUT_LIMITS.nameLength), scopes: ['ads_read'] };
    expect(await send(connectionContracts.create, { body: body(accepted) })).toMatchObject({
      status: 200,
      reached: true,
    });
  });

  it('keeps the codes clients know: body_required, invalid_body, return_url_too_long, unknown_message', async () => {
    expect((await send(connectionContracts.create, {})).body.code).toBe('body_required');
    expect((await send(connectionContracts.create, { body: [1] })).body.code).toBe('invalid_body');
    const long = {
      connector_type: 'meta',
      return_url: `https://a.test/${'a'.repeat(INPUT_LIMITS.returnUrlLength)}`,
    };
    expect((await send(connectionContracts.create, { body: long })).body.code).toBe('return_url_too_long');
    expect((await send(operationContracts.message, { body: { type: 'rewind' } })).body.code).toBe(
      'unknown_message',
    );
  });

  it('checks declared headers and query parameters (X-Session-Id, session_id)', async () => {
    const long = 'x'.repeat(INPUT_LIMITS.idLength + 1);
    const header = await send(operationContracts.state, { method: 'GET', headers: { 'x-session-id': long } });
    expect(header).toMatchObject({ status: 400, reached: false });
    expect(header.body.details.errors).toEqual([
      expect.objectContaining({ in: 'header', path: 'X-Session-Id' }),
    ]);
    const query = await send(operationContracts.state, { method: 'GET', query: `?session_id=${long}` });
    expect(query.body.details.errors).toEqual([expect.objectContaining({ in: 'query', path: 'session_id' })]);
    expect(
      await send(operationContracts.state, { method: 'GET', headers: { 'x-session-id': 'abc' } }),
    ).toMatchObject({
      status: 200,
      reached: true,
    });
  });

  it('a query body names a native query or a report; set_defaults carries its defaults', async () => {
    expect(await send(operationContracts.query, {})).toMatchObject({ status: 400, reached: false });
    expect(await send(operationContracts.query, { body: { query: {} } })).toMatchObject({ status: 200 });
    expect(await send(operationContracts.query, { body: { session_id: 'a' } })).toMatchObject({
      status: 400,
    });
    const noDefaults = await send(operationContracts.message, { body: { type: 'set_defaults' } });
    expect(noDefaults).toMatchObject({ status: 400, reached: false });
    expect(noDefaults.body.details.errors).toEqual([
      { in: 'body', path: '/defaults', message: 'is required' },
    ]);
    expect(await send(operationContracts.message, { body: { type: 'reset' } })).toMatchObject({
      status: 200,
    });
  });
});

describe('the OpenAPI document is generated from the same contracts', () => {
  it('documents every route of the table, with its request body when it reads one', () => {
    for (const fn of httpFunctions) {
      for (const method of fn.methods) {
        const operation = op(fn.route, method.toLowerCase());
        expect(operation.operationId).toBe(fn.name);
        expect(Boolean(operation.requestBody)).toBe(Boolean(fn.contract.body));
        if (fn.contract.body) {
          expect(operation.requestBody.content['application/json'].schema).toBe(fn.contract.body.schema);
        }
      }
    }
  });

  it('states the connection name and scopes limits the code holds', () => {
    const schema = op('v1/connectors/oauth', 'post').requestBody.content['application/json'].schema;
    expect(schema.properties.name).toMatchObject({ minLength: 1, maxLength: INPUT_LIMITS.nameLength });
    expect(schema.properties.scopes).toMatchObject({ minItems: 1, maxItems: INPUT_LIMITS.scopeCount });
  });

  it('declares X-Session-Id on every operation route', () => {
    for (const name of ['metadata', 'account', 'query', 'execute', 'message', 'state']) {
      const path = `v1/connectors/operations/{connection_id}/${name}`;
      const operation = op(path, name === 'metadata' || name === 'state' ? 'get' : 'post');
      expect(operation.parameters).toContainEqual(
        expect.objectContaining({ name: 'X-Session-Id', in: 'header' }),
      );
    }
  });

  it('documents the callback as a redirect or a page, and no 401/403 on anonymous routes', () => {
    const callback = op('v1/connectors/oauth/callback', 'get');
    expect(callback.responses['302'].headers.Location).toBeDefined();
    expect(callback.responses['302'].content).toBeUndefined();
    expect(Object.keys(callback.responses['200'].content)).toEqual(['text/html']);
    for (const fn of httpFunctions.filter((f) => f.anonymous)) {
      const operation = op(fn.route, 'get');
      expect(operation.security).toEqual([]);
      expect(Object.keys(operation.responses)).not.toEqual(expect.arrayContaining(['401']));
      expect(Object.keys(operation.responses)).not.toContain('403');
    }
    expect(Object.keys(op('v1/connectors/configs', 'get').responses)).toEqual(
      expect.arrayContaining(['401', '403']),
    );
  });

  it('takes status enums from the one definition the code uses', () => {
    expect(dataOf(op('v1/connectors/oauth/{connection_id}', 'get')).properties.status.enum).toEqual([
      ...CONNECTION_STATUSES,
    ]);
    expect(dataOf(op('v1/connectors/configs/{id}', 'get')).properties.status.enum).toEqual([
      ...CONFIG_STATUSES,
    ]);
    expect(dataOf(op('v1/connectors/webhooks/{id}/deliveries', 'get')).items.properties.status.enum).toEqual([
      ...DELIVERY_STATUSES,
    ]);
    const statusFilter = op('v1/connectors/oauth', 'get').parameters.find((p: Json) => p.name === 'status');
    expect(statusFilter.schema.enum).toEqual([...CONNECTION_STATUSES]);
  });
});

describe("the typed client's response check (what every end-to-end response through it passes)", () => {
  const checker = new ResponseChecker(JSON.parse(JSON.stringify(doc)) as Json);
  const envelope = (data: unknown) => ({ success: true, data, metadata: { request_id: 'r' } });

  it('passes a documented answer and catches one that drifts from the document', () => {
    const path = '/api/v1/connectors/webhooks/{id}';
    const view = {
      id: '6f1c1a52-7f3e-4c3a-9d0e-1f2a3b4c5d6e',
      url: 'https://hooks.test/in',
      events: ['connection.active'],
      description: null,
      secret_hint: 'whsec_********',
      created_at: '2026-12-02T09:00:00.000Z',
    };
    expect(checker.problems(path, 'GET', 200, 'application/json', envelope(view))).toEqual([]);
    const { secret_hint: _dropped, ...withoutHint } = view;
    expect(checker.problems(path, 'GET', 200, 'application/json', envelope(withoutHint))).toEqual([
      '/data/secret_hint is required',
    ]);
    expect(
      checker.problems(path, 'GET', 200, 'application/json', envelope({ ...view, events: ['nope'] })),
    ).toEqual([expect.stringContaining('/data/events/0 must be one of')]);
    expect(checker.problems(path, 'GET', 418, 'application/json', {})).toEqual([
      expect.stringContaining('does not list'),
    ]);
    expect(
      checker.problems(path, 'GET', 404, 'application/json', { error: 'gone', code: 'not_found' }),
    ).toEqual([]);
  });

  it('checks the content type: the callback answers a redirect or a page, never JSON on success', () => {
    const path = '/api/v1/connectors/oauth/callback';
    expect(checker.problems(path, 'GET', 302, null, undefined)).toEqual([]);
    expect(checker.problems(path, 'GET', 200, 'text/html; charset=utf-8', '<!doctype html>')).toEqual([]);
    expect(checker.problems(path, 'GET', 200, 'application/json', { ok: true })).toEqual([
      expect.stringContaining('the document gives text/html'),
    ]);
  });
});
