// The app settings of the function app, set after the site exists so PUBLIC_BASE_URL can use its host name.
// This resource replaces the whole set on every deployment: change settings here (or additionalAppSettings),
// not in the portal. No value here is a secret: storage and Key Vault are reached with the managed identity,
// and the Application Insights connection string is an identifier, not a credential.
param functionAppName string
param storageAccountName string
param keyVaultName string
param applicationInsightsName string
param authAuthority string
param authAudience string
param authAllowedTenants string
param publicBaseUrl string
param oauthAllowedReturnUrls string
@description('The connections sweep\'s interval; the Functions timer schedule is computed from it when the app starts.')
param sweepIntervalSeconds int
param additionalAppSettings object

resource site 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

var queueEndpoint = 'https://${storage.name}.queue.${environment().suffixes.storage}'

var baseUrl = empty(publicBaseUrl) ? 'https://${site.properties.defaultHostName}' : publicBaseUrl

var settings = {
  AzureWebJobsStorage__accountName: storage.name
  AzureWebJobsStorage__credential: 'managedidentity'
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
  AZURE_TOKEN_CREDENTIALS: 'ManagedIdentityCredential'
  TABLES_ENDPOINT: 'https://${storage.name}.table.${environment().suffixes.storage}'
  // Webhook deliveries: the app's queue client (QUEUES_ENDPOINT) and the queue trigger's connection (QUEUES).
  QUEUES_ENDPOINT: queueEndpoint
  QUEUES__queueServiceUri: queueEndpoint
  QUEUES__credential: 'managedidentity'
  KEY_VAULT_URL: vault.properties.vaultUri
  AUTH_AUTHORITY: authAuthority
  AUTH_AUDIENCE: authAudience
  AUTH_ALLOWED_TENANTS: authAllowedTenants
  PUBLIC_BASE_URL: baseUrl
  SWEEP_INTERVAL_SECONDS: string(sweepIntervalSeconds)
  // No landing page at "/": the host answers 204 there, and the local host does the same.
  AzureWebJobsDisableHomepage: 'true'
}

var returnUrls = empty(oauthAllowedReturnUrls) ? {} : { OAUTH_ALLOWED_RETURN_URLS: oauthAllowedReturnUrls }

resource appSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'appsettings'
  // Later objects win: additional settings cannot override the wiring above.
  properties: union(additionalAppSettings, returnUrls, settings)
}

output publicBaseUrl string = baseUrl
