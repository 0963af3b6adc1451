// LinkedIn Marketing and Community Management APIs: space-separated scopes, no PKCE, client credentials in
// the form body; refresh tokens (approved partners only) keep their original 365-day life.
import { configSchema, DIGITS, idField, secretField } from '../../catalog/schema';
import { ConnectorDefinition } from '../../catalog/types';
import { linkedinOperationSchemas } from './schemas';

/** The LinkedIn-Version header (YYYYMM) every /rest call carries, unless CONNECTOR_LINKEDIN_API_VERSION names another. */
export const LINKEDIN_VERSION = '202606';

// Sunset days from LinkedIn's migrations table (learn.microsoft.com/linkedin/marketing/integrations/migrations).
// 202606 is not dated there yet; LinkedIn serves each monthly version for at least a year, so its first of
// June 2027 is the conservative day to warn against.
const LINKEDIN_SUNSETS = {
  '202511': '2026-11-16',
  '202601': '2027-01-15',
  '202602': '2027-02-15',
  '202603': '2027-03-16',
  '202606': '2027-06-01',
};

export const linkedinDefinitions: ConnectorDefinition[] = [
  {
    type: 'linkedin',
    family: 'linkedin',
    name: 'LinkedIn',
    description: 'LinkedIn organizations and ad accounts: ad analytics and organization posts.',
    authType: 'oauth2',
    capabilities: ['oauth', 'verify', 'metadata', 'query', 'execute', 'message', 'report'],
    endpoints: {
      authorize: 'https://www.linkedin.com/oauth/v2/authorization',
      token: 'https://www.linkedin.com/oauth/v2/accessToken',
      revoke: 'https://www.linkedin.com/oauth/v2/revoke',
      // The API origin: calls go to /rest/... (versioned by header) and /v2/userinfo.
      api: 'https://api.linkedin.com',
    },
    apis: [
      {
        api: 'rest',
        version: LINKEDIN_VERSION,
        sunsets: LINKEDIN_SUNSETS,
        carrier: { header: 'LinkedIn-Version' },
        setting: 'CONNECTOR_LINKEDIN_API_VERSION',
        legacySetting: 'CONNECTOR_LINKEDIN_VERSION',
      },
    ],
    oauth: {
      // For an app with the Advertising API and Sign In with LinkedIn (OpenID Connect) products: identity (openid
      // profile), ad accounts (r_ads), ad analytics (r_ads_reporting), organizations and their posts. An app with
      // the Community Management API alone (it must be the app's only product) cannot grant openid, profile or
      // the ads scopes: its connections pass `scopes` when they are created, e.g. rw_organization_admin
      // w_organization_social r_organization_social (organizations and their posts; no ad accounts, no identity).
      scopes: [
        'openid',
        'profile',
        'r_ads',
        'r_ads_reporting',
        'rw_organization_admin',
        'w_organization_social',
      ],
      scopeSeparator: ' ',
      pkce: 'none',
      clientAuth: 'body',
      clientIdParam: 'client_id',
      refresh: 'static',
      revocation: { token: 'access', clientAuth: 'body' },
    },
    identity: { path: '/v2/userinfo', id: ['sub'], name: ['name'] },
    appCredentialFields: { clientId: 'client_id', clientSecret: 'client_secret' },
    configSchema: configSchema(
      'LinkedIn connector configuration',
      {
        client_id: idField('Client ID', '^[A-Za-z0-9]{1,64}$'),
        client_secret: secretField('Client secret', 256),
        access_token: secretField('Access token'),
        refresh_token: secretField('Refresh token'),
        organization_id: idField(
          'Organization ID',
          DIGITS(20),
          'The numeric id in urn:li:organization:<id>.',
        ),
      },
      ['client_id', 'client_secret'],
    ),
    operations: linkedinOperationSchemas,
  },
];
