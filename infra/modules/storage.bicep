// One account for the Functions host (deployment package, host blobs), the app's tables and its webhook queue. No keys are
// used anywhere: shared-key access is off, so only Entra ID principals with data roles get in.
param location string
param tags object
param name string
param deploymentContainerName string

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowCrossTenantReplication: false
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

// Flex Consumption runs the package it finds in this container.
resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

// Webhook deliveries wait here (the app also creates it, and its -poison sibling, on first use).
resource webhookQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = {
  parent: queueService
  name: 'webhook-deliveries'
}

// Where the Functions host moves a delivery message that failed maxDequeueCount times (host.json).
resource webhookPoisonQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = {
  parent: queueService
  name: 'webhook-deliveries-poison'
}

output name string = storage.name
output blobEndpoint string = storage.properties.primaryEndpoints.blob
// Without the trailing slash of primaryEndpoints.table, so the app can append table paths as it likes.
output tableEndpoint string = 'https://${storage.name}.table.${environment().suffixes.storage}'
output queueEndpoint string = 'https://${storage.name}.queue.${environment().suffixes.storage}'
