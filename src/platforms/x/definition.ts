// X (Twitter) API v2 with OAuth 2.0: PKCE required, HTTP Basic client authentication at the token
// endpoint, refresh tokens (offline.access) that rotate on every use.
import { configSchema, idField, secretField } from '../../catalog/schema';
import { ConnectorDefinition } from '../../catalog/types';
import { xOperationSchemas } from './schemas';

const KEY = '^[A-Za-z0-9_-]{1,128}$';

export const xDefinitions: ConnectorDefinition[] = [
  {
    type: 'twitter',
    family: 'x',
    name: 'X (Twitter)',
    description: "X accounts: the user's posts with public metrics, and publishing posts.",
    authType: 'oauth2',
    capabilities: ['oauth', 'verify', 'metadata', 'query', 'execute', 'message'],
    endpoints: {
      authorize: 'https://x.com/i/oauth2/authorize',
      token: 'https://api.x.com/2/oauth2/token',
      revoke: 'https://api.x.com/2/oauth2/revoke',
      app_token: 'https://api.x.com/oauth2/token',
      api: 'https://api.x.com/2',
    },
    // X API v2 has no dated retirement.
    apis: [
      {
        api: 'v2',
        version: '2',
        sunsets: {},
        carrier: { endpoints: ['api'] },
        setting: 'CONNECTOR_TWITTER_API_VERSION',
      },
    ],
    oauth: {
      scopes: ['tweet.read', 'users.read', 'tweet.write', 'offline.access'],
      scopeSeparator: ' ',
      pkce: 'required',
      clientAuth: 'basic',
      clientIdParam: 'client_id',
      refresh: 'rotating',
      revocation: { token: 'refresh', clientAuth: 'basic', typeHint: true },
    },
    // OAuth 2.0 needs the client id and secret; the consumer key pair proves the app on verify.
    identity: { path: '/users/me', id: ['data', 'id'], name: ['data', 'username'] },
    appCredentialFields: { clientId: 'client_id', clientSecret: 'client_secret' },
    configSchema: configSchema(
      'X (Twitter) connector configuration',
      {
        // X calls the consumer key and secret a username and password: both are credentials.
        api_key: secretField('API key (consumer key)', 128),
        api_secret: secretField('API key secret (consumer secret)', 256),
        bearer_token: secretField('App bearer token'),
        access_token: secretField('Access token'),
        access_token_secret: secretField('Access token secret', 256),
        client_id: idField('OAuth 2.0 client ID', KEY),
        client_secret: secretField('OAuth 2.0 client secret', 256),
      },
      ['api_key', 'api_secret'],
    ),
    operations: xOperationSchemas,
  },
];
