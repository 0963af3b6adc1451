// TikTok API for Business (ads): an advertiser authorization page (not an OAuth 2.0 authorize endpoint) that
// sends back `auth_code`, a JSON token exchange answered in the platform's envelope, and a long-term access
// token that neither expires nor refreshes. Scopes are the app's permissions, chosen in its settings.
import { configSchema, DIGITS, idField, secretField } from '../../catalog/schema';
import { ConnectorDefinition } from '../../catalog/types';
import { NO_PERMISSION } from './codes';
import { tiktokAdsOperationSchemas } from './schemas';

/** The Marketing API version the base URLs name by default (CONNECTOR_TIKTOK_ADS_API_VERSION names another). */
export const TIKTOK_ADS_API_VERSION = 'v1.3';
const ORIGIN = 'https://business-api.tiktok.com';

export const tiktokAdsDefinitions: ConnectorDefinition[] = [
  {
    type: 'tiktok_ads',
    family: 'tiktok_ads',
    name: 'TikTok Ads',
    description:
      'TikTok API for Business (Marketing API): the advertisers a person authorized, their currency and ' +
      'time zone, and reports on campaigns, ad groups and ads.',
    authType: 'oauth2',
    // `report`: its reporter is src/platforms/tiktokAds/report.ts, declared in this family's index.ts.
    capabilities: ['oauth', 'verify', 'metadata', 'query', 'message', 'report'],
    endpoints: {
      authorize: `${ORIGIN}/portal/auth`,
      token: `${ORIGIN}/open_api/${TIKTOK_ADS_API_VERSION}/oauth2/access_token/`,
      revoke: `${ORIGIN}/open_api/${TIKTOK_ADS_API_VERSION}/oauth2/revoke_token/`,
      api: `${ORIGIN}/open_api/${TIKTOK_ADS_API_VERSION}`,
    },
    // v1.3 has no dated retirement. The token and revocation endpoints live under the same version and follow it.
    apis: [
      {
        api: 'marketing',
        version: TIKTOK_ADS_API_VERSION,
        sunsets: {},
        carrier: { endpoints: ['api', 'token', 'revoke'] },
        setting: 'CONNECTOR_TIKTOK_ADS_API_VERSION',
      },
    ],
    oauth: {
      // The advertiser grants the permissions the app was set up with; the page takes no scope parameter.
      scopes: [],
      scopeSeparator: ',',
      pkce: 'none',
      clientAuth: 'body',
      clientIdParam: 'app_id',
      clientSecretParam: 'secret',
      authorizeStyle: 'portal',
      tokenEndpoint: {
        body: 'json',
        codeParam: 'auth_code',
        dataField: 'data',
        codeField: 'code',
        clientRejectedCodes: [NO_PERMISSION],
      },
      refresh: 'none',
      revocation: { token: 'access', clientAuth: 'json', tokenParam: 'access_token' },
    },
    // The person who authorized: GET /user/info/ names them without needing an advertiser.
    identity: {
      path: '/user/info/',
      id: ['data', 'core_user_id'],
      name: ['data', 'display_name'],
    },
    appCredentialFields: { clientId: 'app_id', clientSecret: 'secret' },
    configSchema: configSchema(
      'TikTok Ads connector configuration',
      {
        app_id: idField('App ID', DIGITS(32), 'The app ID from the TikTok for Business developer portal'),
        secret: secretField('Secret', 256, "The app's secret"),
        advertiser_id: idField(
          'Advertiser ID',
          DIGITS(32),
          'The advertiser queries use when a request and its session name none',
        ),
      },
      ['app_id', 'secret'],
    ),
    operations: tiktokAdsOperationSchemas,
  },
];
