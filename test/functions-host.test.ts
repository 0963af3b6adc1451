// The Functions host's side of the route table, in process: handlers built from the declarations behave as
// under the host, and without auth settings an authenticated route answers 503 (no development issuer).
import { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { fallbackFunction, httpFunctions } from '../functions/routes';
import { azureHandlerOf } from '../src/routing/azureHandler';
import { resetSettings } from '../src/settings';

const saved = { ...process.env };

afterEach(() => {
  process.env = { ...saved };
  resetSettings();
});

async function invoke(name: string, init: ConstructorParameters<typeof HttpRequest>[0]) {
  const fn = [...httpFunctions, fallbackFunction].find((f) => f.name === name);
  if (!fn) throw new Error(`no function ${name}`);
  const logs: string[] = [];
  const context = new InvocationContext({
    functionName: name,
    logHandler: (_l, ...args) => logs.push(args.join(' ')),
  });
  const res = (await azureHandlerOf(fn)(new HttpRequest(init), context)) as HttpResponseInit;
  return { res, logs };
}

it('answers 503 with a clear error when no authority or audience is configured', async () => {
  delete process.env.AUTH_AUTHORITY;
  delete process.env.AZURE_TENANT_ID;
  delete process.env.AUTH_AUDIENCE;
  resetSettings();
  const { res } = await invoke('connectors-list', {
    method: 'GET',
    url: 'http://localhost/api/v1/connectors',
    headers: { authorization: 'Bearer x.y.z' },
  });
  expect(res.status).toBe(503);
  expect((res.jsonBody as { error: string }).error).toMatch(/AUTH_AUTHORITY/);
});

it('needs an audience even with an authority', async () => {
  process.env.AUTH_AUTHORITY = 'https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0';
  delete process.env.AUTH_AUDIENCE;
  resetSettings();
  const { res } = await invoke('connectors-list', {
    method: 'GET',
    url: 'http://localhost/api/v1/connectors',
    headers: { authorization: 'Bearer x.y.z' },
  });
  expect(res.status).toBe(503);
  expect((res.jsonBody as { error: string }).error).toMatch(/AUTH_AUDIENCE/);
});

it('the catch-all answers 405 with Allow, or 404, from the same route table', async () => {
  const wrong = await invoke('fallback', {
    method: 'DELETE',
    url: 'http://localhost/api/v1/connectors',
    params: { path: 'v1/connectors' },
  });
  expect(wrong.res.status).toBe(405);
  expect(wrong.res.headers).toEqual(expect.objectContaining({ Allow: 'GET' }));
  const missing = await invoke('fallback', {
    method: 'GET',
    url: 'http://localhost/api/nothing',
    params: { path: 'nothing' },
  });
  expect(missing.res.status).toBe(404);
});

it('an anonymous route needs no token', async () => {
  const { res, logs } = await invoke('openapi', {
    method: 'GET',
    url: 'http://localhost/api/v1/openapi.json',
  });
  expect(res.status).toBe(200);
  expect(logs.some((l) => l.includes('"event":"request"') && l.includes('"function":"openapi"'))).toBe(true);
});
