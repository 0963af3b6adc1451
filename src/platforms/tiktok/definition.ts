// TikTok Login Kit v2 (organic): `client_key` instead of client_id, comma-separated scopes, client
// credentials in the form body, refresh tokens that rotate.
import { configSchema, DIGITS, idField, secretField } from '../../catalog/schema';
import { ConnectorDefinition } from '../../catalog/types';
import { tiktokOperationSchemas } from './schemas';

export const tiktokDefinitions: ConnectorDefinition[] = [
  {
    type: 'tiktok',
    family: 'tiktok',
    name: 'TikTok',
    description: "TikTok accounts: the user's videos with their metrics, and video publishing.",
    authType: 'oauth2',
    capabilities: ['oauth', 'verify', 'metadata', 'query', 'execute', 'message'],
    endpoints: {
      authorize: 'https://www.tiktok.com/v2/auth/authorize/',
      token: 'https://open.tiktokapis.com/v2/oauth/token/',
      revoke: 'https://open.tiktokapis.com/v2/oauth/revoke/',
      api: 'https://open.tiktokapis.com/v2',
    },
    // The v2 Open API has no dated retirement; its OAuth endpoints (also under /v2) stay as they are.
    apis: [
      {
        api: 'open_api',
        version: 'v2',
        sunsets: {},
        carrier: { endpoints: ['api'] },
        setting: 'CONNECTOR_TIKTOK_API_VERSION',
      },
    ],
    oauth: {
      scopes: ['user.info.basic', 'video.list', 'video.publish'],
      scopeSeparator: ',',
      // Web Login Kit authenticates with the client secret; PKCE is for its desktop flavour, with a hex challenge.
      pkce: 'none',
      clientAuth: 'body',
      clientIdParam: 'client_key',
      refresh: 'rotating',
      revocation: { token: 'access', clientAuth: 'body' },
    },
    identity: {
      path: '/user/info/',
      query: { fields: 'open_id,union_id,avatar_url,display_name' },
      id: ['data', 'user', 'open_id'],
      name: ['data', 'user', 'display_name'],
    },
    appCredentialFields: { clientId: 'client_key', clientSecret: 'client_secret' },
    configSchema: configSchema(
      'TikTok connector configuration',
      {
        client_key: idField('Client key', '^[A-Za-z0-9]{1,64}$'),
        client_secret: secretField('Client secret', 256),
        access_token: secretField('Access token'),
        refresh_token: secretField('Refresh token'),
        advertiser_id: idField('Advertiser ID', DIGITS(32)),
      },
      ['client_key', 'client_secret'],
    ),
    operations: tiktokOperationSchemas,
  },
];
