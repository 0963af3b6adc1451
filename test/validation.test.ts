import { allDefinitions, findDefinition } from '../src/platforms/registry/definitions';
import { secretFieldsOf } from '../src/catalog/schema';
import { CONNECTOR_TYPES } from '../src/catalog/types';
import { validateConfig } from '../src/platforms/registry/validation';

describe('catalog definitions', () => {
  it('defines the eight connector types, found case-insensitively', () => {
    expect(allDefinitions().map((d) => d.type)).toEqual([...CONNECTOR_TYPES]);
    expect(findDefinition('FACEBOOK')?.type).toBe('facebook');
    expect(findDefinition('Google_Ads')?.type).toBe('google_ads');
    expect(findDefinition('myspace')).toBeUndefined();
  });

  it('marks every secret field writeOnly', () => {
    const secrets = Object.fromEntries(
      allDefinitions().map((d) => [d.type, secretFieldsOf(d.configSchema).sort()]),
    );
    expect(secrets).toEqual({
      meta: ['access_token', 'app_secret'],
      google_ads: ['client_secret', 'developer_token', 'refresh_token'],
      facebook: ['access_token', 'app_secret', 'refresh_token', 'verify_token'],
      instagram: ['access_token', 'client_secret', 'refresh_token'],
      twitter: [
        'access_token',
        'access_token_secret',
        'api_key',
        'api_secret',
        'bearer_token',
        'client_secret',
      ],
      linkedin: ['access_token', 'client_secret', 'refresh_token'],
      youtube: ['access_token', 'api_key', 'client_secret', 'refresh_token'],
      tiktok: ['access_token', 'client_secret', 'refresh_token'],
      tiktok_ads: ['secret'],
    });
  });
});

describe('configuration validation', () => {
  it('accepts a complete configuration', () => {
    expect(validateConfig('facebook', { app_id: '1234567890', app_secret: 's3cret', page_id: '42' })).toEqual(
      {
        valid: true,
        errors: [],
      },
    );
    expect(
      validateConfig('google_ads', {
        client_id: '1234-abc.apps.googleusercontent.com',
        client_secret: 'x',
        developer_token: 'devtoken',
        login_customer_id: '1234567890',
      }).valid,
    ).toBe(true);
  });

  it('reports missing, unknown and malformed fields as JSON pointers', () => {
    const result = validateConfig('facebook', { app_id: 'abc', extra: 1 });
    expect(result.valid).toBe(false);
    expect(result.errors).toEqual(
      expect.arrayContaining([
        { path: '/app_secret', message: 'is required' },
        { path: '/extra', message: 'is not a field of this connector type' },
        expect.objectContaining({ path: '/app_id', message: expect.stringMatching(/pattern/) }),
      ]),
    );
  });

  it('enforces platform id patterns and length limits', () => {
    const base = { client_id: 'c', client_secret: 's', developer_token: 'd' };
    expect(validateConfig('google_ads', { ...base, login_customer_id: '123-456-7890' }).errors[0].path).toBe(
      '/login_customer_id',
    );
    expect(
      validateConfig('youtube', { client_id: 'c', client_secret: 's', channel_id: 'not-a-channel' }).valid,
    ).toBe(false);
    expect(validateConfig('meta', { app_id: '1', app_secret: 'x'.repeat(300) }).valid).toBe(false);
  });

  it('rejects a body that is not an object', () => {
    expect(validateConfig('tiktok', 'text').errors).toEqual([{ path: '/', message: 'must be object' }]);
    expect(validateConfig('tiktok', null).valid).toBe(false);
  });
});
