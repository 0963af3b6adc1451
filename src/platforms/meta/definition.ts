// Meta: Facebook Login for the Marketing API, Pages and the Instagram Graph API. One OAuth dialect for
// three connector types: comma-separated scopes, the code exchange in the query string, and no refresh
// token (a long-lived token through fb_exchange_token instead).
import { configSchema, DIGITS, idField, secretField } from '../../catalog/schema';
import { ConnectorDefinition, IdentityCall, OAuthDialect, VersionedApi } from '../../catalog/types';
import { facebookOperationSchemas, instagramOperationSchemas, metaOperationSchemas } from './schemas';

export const META_GRAPH_VERSION = 'v25.0';
/** The Marketing API (ad accounts, insights) retires versions sooner than Graph: it has its own. */
export const META_MARKETING_VERSION = 'v27.0';
/** The setting that names the Marketing API version for every Meta-family type. */
export const META_ADS_VERSION_SETTING = 'CONNECTOR_META_ADS_API_VERSION';

const endpoints = {
  authorize: `https://www.facebook.com/${META_GRAPH_VERSION}/dialog/oauth`,
  token: `https://graph.facebook.com/${META_GRAPH_VERSION}/oauth/access_token`,
  api: `https://graph.facebook.com/${META_GRAPH_VERSION}`,
  // Marketing API calls: the API base's origin with the Marketing API version (derived by the registry).
  ads: `https://graph.facebook.com/${META_MARKETING_VERSION}`,
};

// Graph API: v25.0 lives to 2028-07-29 (graph-api/changelog/versions). Marketing API expirations from its version
// history (marketing-api-changelog/versions): v24.0 2026-11-10, v25.0 2027-02-23; v26.0 and v27.0 not yet dated.
const graphApi = (type: string): VersionedApi => ({
  api: 'graph',
  version: META_GRAPH_VERSION,
  sunsets: { 'v25.0': '2028-07-29' },
  carrier: { endpoints: ['api', 'token', 'authorize'] },
  setting: `CONNECTOR_${type}_API_VERSION`,
});

const marketingApi: VersionedApi = {
  api: 'marketing',
  version: META_MARKETING_VERSION,
  sunsets: { 'v23.0': '2026-06-09', 'v24.0': '2026-11-10', 'v25.0': '2027-02-23' },
  carrier: { endpoints: ['ads'], from: 'api' },
  setting: META_ADS_VERSION_SETTING,
};

/** Meta's subcode for "the user has not authorized the application": they removed it. */
export const META_APP_REMOVED = 458;

const dialect = (scopes: string[]): OAuthDialect => ({
  scopes,
  scopeSeparator: ',',
  pkce: 'none',
  // The app secret goes in a POST body (Graph takes the same parameters as a form), never in a URL that
  // proxies and access logs keep.
  clientAuth: 'body',
  clientIdParam: 'client_id',
  refresh: 'exchange',
  // Facebook Login for Business: a configuration made in the app dashboard sets token type and permissions.
  loginConfiguration: { field: 'login_config_id', param: 'config_id' },
  // The token endpoint answers {"error": {code, error_subcode}}: 190 a dead grant, 1 and 101 a refused app.
  errorObjectCodes: { grantRevoked: [190], clientRejected: [1, 101], appRemovedSubcode: META_APP_REMOVED },
});

const loginConfigId = idField(
  'Login configuration ID',
  DIGITS(32),
  'Facebook Login for Business: the configuration id (digits). When set, the login dialog gets config_id instead of scope, and the configuration decides the permissions.',
);

const META_IDENTITY: IdentityCall = { path: '/me', query: { fields: 'id,name' }, id: ['id'], name: ['name'] };

const appId = idField('App ID', DIGITS(32), 'The Meta app id (digits).');
const appSecret = secretField('App secret', 256);
const accessToken = secretField('Access token');

export const metaDefinitions: ConnectorDefinition[] = [
  {
    type: 'meta',
    family: 'meta',
    name: 'Meta',
    description:
      'Facebook and Instagram ads (Marketing API insights), Pages and Instagram business accounts.',
    authType: 'oauth2',
    capabilities: ['oauth', 'verify', 'metadata', 'query', 'execute', 'message', 'report'],
    endpoints,
    apis: [graphApi('META'), marketingApi],
    oauth: dialect([
      'ads_read',
      'business_management',
      'pages_show_list',
      'pages_read_engagement',
      'pages_manage_posts',
      'instagram_basic',
      'instagram_manage_insights',
      'instagram_content_publish',
    ]),
    identity: META_IDENTITY,
    appCredentialFields: { clientId: 'app_id', clientSecret: 'app_secret' },
    configSchema: configSchema(
      'Meta connector configuration',
      {
        app_id: appId,
        app_secret: appSecret,
        access_token: accessToken,
        business_id: idField('Business ID', DIGITS(32), 'The Business Manager id (digits).'),
        login_config_id: loginConfigId,
      },
      ['app_id', 'app_secret'],
    ),
    operations: metaOperationSchemas,
  },
  {
    type: 'facebook',
    family: 'meta',
    name: 'Facebook',
    description: 'Facebook Pages: page insights and publishing posts.',
    authType: 'oauth2',
    capabilities: ['oauth', 'verify', 'metadata', 'query', 'execute', 'message'],
    endpoints,
    // Ad accounts and ad insights are Marketing API calls whatever the type: the same version and origin rule.
    apis: [graphApi('FACEBOOK'), marketingApi],
    oauth: dialect(['pages_show_list', 'pages_read_engagement', 'pages_manage_posts', 'read_insights']),
    identity: META_IDENTITY,
    appCredentialFields: { clientId: 'app_id', clientSecret: 'app_secret' },
    configSchema: configSchema(
      'Facebook connector configuration',
      {
        app_id: appId,
        app_secret: appSecret,
        access_token: accessToken,
        refresh_token: secretField('Refresh token'),
        page_id: idField('Page ID', DIGITS(32)),
        verify_token: secretField('Webhook verify token', 256),
        login_config_id: loginConfigId,
      },
      ['app_id', 'app_secret'],
    ),
    operations: facebookOperationSchemas,
  },
  {
    type: 'instagram',
    family: 'meta',
    name: 'Instagram',
    description: 'Instagram business accounts through the Instagram Graph API: insights and publishing.',
    authType: 'oauth2',
    capabilities: ['oauth', 'verify', 'metadata', 'query', 'execute', 'message'],
    endpoints,
    // Ad accounts and ad insights are Marketing API calls whatever the type: the same version and origin rule.
    apis: [graphApi('INSTAGRAM'), marketingApi],
    oauth: dialect([
      'instagram_basic',
      'instagram_manage_insights',
      'instagram_content_publish',
      'pages_show_list',
      'pages_read_engagement',
    ]),
    identity: META_IDENTITY,
    appCredentialFields: { clientId: 'client_id', clientSecret: 'client_secret' },
    configSchema: configSchema(
      'Instagram connector configuration',
      {
        client_id: idField('Client ID', DIGITS(32), 'The Meta app id (digits).'),
        client_secret: secretField('Client secret', 256),
        access_token: accessToken,
        refresh_token: secretField('Refresh token'),
        instagram_account_id: idField('Instagram business account ID', DIGITS(32)),
        facebook_page_id: idField('Facebook Page ID', DIGITS(32)),
        login_config_id: loginConfigId,
      },
      ['client_id', 'client_secret'],
    ),
    operations: instagramOperationSchemas,
  },
];
