// Google OAuth for Google Ads and YouTube: space-separated scopes, offline access with forced consent so a
// refresh token is issued, PKCE S256, client credentials in the form body, a refresh token that does not rotate.
import { configSchema, idField, secretField } from '../../catalog/schema';
import { ConnectorDefinition, OAuthDialect } from '../../catalog/types';
import { googleAdsOperationSchemas, youtubeOperationSchemas } from './schemas';

export const GOOGLE_ADS_VERSION = 'v26';

// Google dates a sunset to the month ahead of time ("projected sunset", Ads blog 2025-09-04) and names the day
// later: the first day of the projected month is the conservative day to warn against.
const GOOGLE_ADS_SUNSETS = {
  v22: '2026-10-07', // announced day (Ads blog 2026-09-02)
  v23: '2027-02-01',
  v24: '2027-05-01',
  v25: '2027-08-01',
  v26: '2027-11-01',
};

const AUTHORIZE = 'https://accounts.google.com/o/oauth2/v2/auth';
const TOKEN = 'https://oauth2.googleapis.com/token';
const REVOKE = 'https://oauth2.googleapis.com/revoke';

const dialect = (scopes: string[]): OAuthDialect => ({
  scopes,
  scopeSeparator: ' ',
  pkce: 'supported',
  clientAuth: 'body',
  clientIdParam: 'client_id',
  authorizeParams: { access_type: 'offline', prompt: 'consent', include_granted_scopes: 'true' },
  refresh: 'static',
  revocation: { token: 'refresh', clientAuth: 'none' },
  // Google expires a refresh token that has not been used for six months.
  refreshTokenIdleDays: 180,
});

const clientId = idField(
  'OAuth client ID',
  '^[A-Za-z0-9][A-Za-z0-9._-]*$',
  'The OAuth 2.0 client id, e.g. 1234-abc.apps.googleusercontent.com.',
);

export const googleDefinitions: ConnectorDefinition[] = [
  {
    type: 'google_ads',
    family: 'google',
    name: 'Google Ads',
    description: 'Google Ads reporting with GAQL and campaign changes through the Google Ads API.',
    authType: 'oauth2',
    capabilities: ['oauth', 'verify', 'metadata', 'query', 'execute', 'message', 'report'],
    endpoints: {
      authorize: AUTHORIZE,
      token: TOKEN,
      revoke: REVOKE,
      api: `https://googleads.googleapis.com/${GOOGLE_ADS_VERSION}`,
    },
    apis: [
      {
        api: 'google_ads',
        version: GOOGLE_ADS_VERSION,
        sunsets: GOOGLE_ADS_SUNSETS,
        carrier: { endpoints: ['api'] },
        setting: 'CONNECTOR_GOOGLE_ADS_API_VERSION',
      },
    ],
    oauth: dialect(['https://www.googleapis.com/auth/adwords']),
    appCredentialFields: { clientId: 'client_id', clientSecret: 'client_secret' },
    configSchema: configSchema(
      'Google Ads connector configuration',
      {
        client_id: clientId,
        client_secret: secretField('OAuth client secret', 256),
        // Google sunset developer tokens on 2026-09-09 and ignores the header since; still sent when given.
        developer_token: secretField(
          'Developer token',
          256,
          'Optional since Google stopped checking developer tokens (2026-09-09); sent when given.',
        ),
        login_customer_id: idField(
          'Login customer ID',
          '^[0-9]{10}$',
          'The manager account id: 10 digits, no dashes. Optional: client accounts behind a manager are found through it, and this manager is preferred when several lead to one.',
        ),
        refresh_token: secretField('Refresh token'),
      },
      ['client_id', 'client_secret'],
    ),
    operations: googleAdsOperationSchemas,
  },
  {
    type: 'youtube',
    family: 'google',
    name: 'YouTube',
    description: 'YouTube channels: Analytics reports and video metadata updates.',
    authType: 'oauth2',
    capabilities: ['oauth', 'verify', 'metadata', 'query', 'execute', 'message'],
    endpoints: {
      authorize: AUTHORIZE,
      token: TOKEN,
      revoke: REVOKE,
      api: 'https://www.googleapis.com/youtube/v3',
      analytics: 'https://youtubeanalytics.googleapis.com/v2',
    },
    // Neither API has a dated retirement.
    apis: [
      {
        api: 'data',
        version: 'v3',
        sunsets: {},
        carrier: { endpoints: ['api'] },
        setting: 'CONNECTOR_YOUTUBE_API_VERSION',
      },
      {
        api: 'analytics',
        version: 'v2',
        sunsets: {},
        carrier: { endpoints: ['analytics'] },
        setting: 'CONNECTOR_YOUTUBE_ANALYTICS_API_VERSION',
      },
    ],
    oauth: dialect([
      'https://www.googleapis.com/auth/youtube.readonly',
      'https://www.googleapis.com/auth/yt-analytics.readonly',
      'https://www.googleapis.com/auth/youtube.force-ssl',
    ]),
    identity: {
      path: '/channels',
      query: { part: 'snippet', mine: 'true' },
      id: ['items', '0', 'id'],
      name: ['items', '0', 'snippet', 'title'],
    },
    appCredentialFields: { clientId: 'client_id', clientSecret: 'client_secret' },
    configSchema: configSchema(
      'YouTube connector configuration',
      {
        client_id: clientId,
        client_secret: secretField('OAuth client secret', 256),
        access_token: secretField('Access token'),
        refresh_token: secretField('Refresh token'),
        channel_id: idField(
          'Channel ID',
          '^UC[A-Za-z0-9_-]{22}$',
          'The channel id: UC followed by 22 characters.',
        ),
        api_key: secretField('API key', 256),
      },
      ['client_id', 'client_secret'],
    ),
    operations: youtubeOperationSchemas,
  },
];
