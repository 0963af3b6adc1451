// Supertrack Connectors on Azure: a Function App on the Flex Consumption plan (Node 22) whose system-assigned
// identity is the only principal granted data access, to the tables of one storage account and the secrets of
// one Key Vault. `azd up` provisions this and deploys the app (service `api` in azure.yaml).
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name: names the resource group and seeds the unique suffix of every resource.')
param environmentName string

@minLength(1)
@description('Region of every resource; it must offer Flex Consumption (az functionapp list-flexconsumption-locations).')
param location string

@minLength(2)
@maxLength(7)
@description('Prefix of resource names: lower-case letters and digits, starting with a letter.')
param namePrefix string = 'stc'

@description('Resource group to create; rg-<environmentName> when empty.')
param resourceGroupName string = ''

@minLength(36)
@maxLength(36)
@description('Application (client) ID of the Entra ID app registration that represents this API (docs/DEPLOY.md).')
param authClientId string

@description('Tenant of that app registration; the tenant of the deployment when empty.')
param authTenantId string = ''

@description('AUTH_AUTHORITY; <login endpoint>/<authTenantId>/v2.0 when empty.')
param authAuthority string = ''

@description('AUTH_AUDIENCE, comma-separated; the app registration\'s client id and api://<client id> when empty.')
param authAudience string = ''

@description('AUTH_ALLOWED_TENANTS, comma-separated tenant ids or *; the app registration\'s tenant when empty.')
param authAllowedTenants string = ''

@description('PUBLIC_BASE_URL without a trailing slash; https://<default host name of the function app> when empty.')
param publicBaseUrl string = ''

@description('OAUTH_ALLOWED_RETURN_URLS, comma-separated origins; not set (the app uses the origin of PUBLIC_BASE_URL) when empty.')
param oauthAllowedReturnUrls string = ''

@minValue(1)
@maxValue(86400)
@description('SWEEP_INTERVAL_SECONDS: how often the connections sweep runs; its timer schedule is made from this one setting.')
param sweepIntervalSeconds int = 900

@description('Extra app settings such as CONNECTOR_<TYPE>_CLIENT_ID. Never a secret value: secrets go in as Key Vault references.')
param additionalAppSettings object = {}

@minValue(1)
@maxValue(1000)
@description('Most instances Flex Consumption may scale out to.')
param maximumInstanceCount int = 100

@allowed([512, 2048, 4096])
@description('Memory of each instance, in MB.')
param instanceMemoryMB int = 2048

var token = toLower(uniqueString(subscription().id, environmentName, location))
var prefix = toLower(namePrefix)
var tags = {
  'azd-env-name': environmentName
  application: 'supertrack-connectors'
}
var tenantId = empty(authTenantId) ? subscription().tenantId : authTenantId
var deploymentContainerName = 'app-package-${take(token, 8)}'

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: empty(resourceGroupName) ? 'rg-${environmentName}' : resourceGroupName
  location: location
  tags: tags
}

module monitoring './modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    location: location
    tags: tags
    logAnalyticsName: '${prefix}-log-${token}'
    applicationInsightsName: '${prefix}-appi-${token}'
  }
}

module storage './modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    location: location
    tags: tags
    // Storage account names allow only lower-case letters and digits, at most 24.
    name: take('${replace(prefix, '-', '')}st${token}', 24)
    deploymentContainerName: deploymentContainerName
  }
}

module keyVault './modules/keyvault.bicep' = {
  name: 'keyVault'
  scope: rg
  params: {
    location: location
    tags: tags
    name: take('${prefix}-kv-${token}', 24)
  }
}

module functionApp './modules/function-app.bicep' = {
  name: 'functionApp'
  scope: rg
  params: {
    location: location
    tags: tags
    planName: '${prefix}-plan-${token}'
    name: '${prefix}-func-${token}'
    storageAccountName: storage.outputs.name
    deploymentContainerName: deploymentContainerName
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
  }
}

module roleAssignments './modules/role-assignments.bicep' = {
  name: 'roleAssignments'
  scope: rg
  params: {
    principalId: functionApp.outputs.principalId
    storageAccountName: storage.outputs.name
    keyVaultName: keyVault.outputs.name
  }
}

module appSettings './modules/app-settings.bicep' = {
  name: 'appSettings'
  scope: rg
  params: {
    functionAppName: functionApp.outputs.name
    storageAccountName: storage.outputs.name
    keyVaultName: keyVault.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    authAuthority: empty(authAuthority) ? '${environment().authentication.loginEndpoint}${tenantId}/v2.0' : authAuthority
    authAudience: empty(authAudience) ? '${authClientId},api://${authClientId}' : authAudience
    authAllowedTenants: empty(authAllowedTenants) ? tenantId : authAllowedTenants
    publicBaseUrl: publicBaseUrl
    oauthAllowedReturnUrls: oauthAllowedReturnUrls
    sweepIntervalSeconds: sweepIntervalSeconds
    additionalAppSettings: additionalAppSettings
  }
  // The host starts reading storage as soon as its settings exist; let the grants land first.
  dependsOn: [
    roleAssignments
  ]
}

output AZURE_LOCATION string = location
output AUTH_TENANT_ID string = tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output KEY_VAULT_URL string = keyVault.outputs.uri
output TABLES_ENDPOINT string = storage.outputs.tableEndpoint
output QUEUES_ENDPOINT string = storage.outputs.queueEndpoint
output PUBLIC_BASE_URL string = appSettings.outputs.publicBaseUrl
output OAUTH_REDIRECT_URI string = '${appSettings.outputs.publicBaseUrl}/api/v1/connectors/oauth/callback'
