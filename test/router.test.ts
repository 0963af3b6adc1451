import { Router } from '../src/routing/router';
import { comparePrecedence, matchTemplate, parseTemplate } from '../src/routing/template';
import { fallbackFunction, httpFunctions } from '../functions/routes';

describe('route templates', () => {
  it('matches literals case-insensitively and decodes parameters', () => {
    const t = parseTemplate('v1/connectors/{connector_type}');
    expect(matchTemplate(t, '/V1/Connectors/FACEBOOK')).toEqual({ connector_type: 'FACEBOOK' });
    expect(matchTemplate(t, '/v1/connectors/a%20b')).toEqual({ connector_type: 'a b' });
    expect(matchTemplate(t, '/v1/connectors')).toBeUndefined();
    expect(matchTemplate(t, '/v1/connectors/a/b')).toBeUndefined();
  });
  it('orders literal before parameter before catch-all', () => {
    const lit = parseTemplate('v1/connectors/oauth');
    const param = parseTemplate('v1/connectors/{connector_type}');
    const all = parseTemplate('{*path}');
    expect(comparePrecedence(lit, param)).toBeLessThan(0);
    expect(comparePrecedence(param, all)).toBeLessThan(0);
  });
  it('rejects malformed templates', () => {
    expect(() => parseTemplate('v1/{*rest}/x')).toThrow(/catch-all/);
    expect(() => parseTemplate('v1/a{b}')).toThrow(/unsupported/);
  });
});

describe('the route table', () => {
  const router = new Router(httpFunctions);
  const nameOf = (method: string, path: string) => {
    const m = router.match(method, path);
    return m.kind === 'found' ? m.entry.name : m.kind;
  };

  it('declares every function once, with a unique name and route+method', () => {
    const names = httpFunctions.map((f) => f.name);
    expect(new Set(names).size).toBe(names.length);
    const pairs = httpFunctions.flatMap((f) => f.methods.map((m) => `${m} ${f.route}`));
    expect(new Set(pairs).size).toBe(pairs.length);
  });

  it('routes literal segments before parameters', () => {
    // Each pair: a literal route and the parameter route it must not fall into.
    expect(nameOf('GET', '/v1/connectors/oauth')).toBe('oauth-list'); // not connectors-get ("oauth" type)
    expect(nameOf('GET', '/v1/connectors/configs')).toBe('configs-list'); // not connectors-get ("configs" type)
    expect(nameOf('GET', '/v1/connectors/oauth/callback')).toBe('oauth-callback'); // not oauth-get ("callback" id)
    expect(nameOf('GET', '/v1/connectors/types/tiktok/schema')).toBe('connectors-type-schema');
    expect(nameOf('POST', '/v1/connectors/configs/abc/verify')).toBe('configs-verify');
    expect(nameOf('GET', '/v1/connectors/operations/abc/state')).toBe('operations-state');
    expect(nameOf('GET', '/v1/connectors/facebook')).toBe('connectors-get');
    expect(nameOf('GET', '/v1/connectors/types/facebook/schema')).toBe('connectors-type-schema');
    expect(nameOf('GET', '/v1/openapi.json')).toBe('openapi');
  });

  it('tells a wrong method (405 with the allowed ones) from an unknown path (404)', () => {
    expect(router.match('DELETE', '/v1/connectors')).toEqual({
      kind: 'method_not_allowed',
      allowed: ['GET'],
    });
    expect(router.match('GET', '/v1/nothing-here')).toEqual({ kind: 'not_found' });
  });

  it('only the health, OpenAPI and OAuth callback routes are anonymous', () => {
    const anonymous = httpFunctions.filter((f) => f.anonymous).map((f) => f.route);
    expect(
      anonymous.every((r) => ['health', 'v1/openapi.json', 'v1/connectors/oauth/callback'].includes(r)),
    ).toBe(true);
    expect(fallbackFunction.route).toBe('{*path}');
  });
});
