// The route table: every function of the app, declared once. functions/index.ts registers these with the
// Functions host; the local host (host/) routes to the same declarations.
import {
  getConnector,
  getConnectorSchema,
  listConnectors,
  validateConnectorConfig,
} from '../src/handlers/catalog';
import { fallbackHandler } from '../src/handlers/fallback';
import { health } from '../src/handlers/health';
import { openApiHandler } from '../src/handlers/openapi';
import { FunctionDeclaration, HttpFunctionDeclaration } from '../src/routing/declarations';
import { catalogContracts } from '../src/openapi/catalog';
import { configurationContracts } from '../src/openapi/configurations';
import { connectionContracts } from '../src/openapi/connections';
import { operationContracts } from '../src/openapi/operations';
import { serviceContracts } from '../src/openapi/service';
import {
  operationAccount,
  operationExecute,
  operationMessage,
  operationMetadata,
  operationQuery,
  operationState,
} from '../src/handlers/operations';
import {
  createOAuthConnection,
  deleteOAuthConnection,
  getOAuthConnection,
  listOAuthConnections,
  oauthCallback,
  reconnectOAuthConnection,
  refreshOAuthConnection,
  testOAuthConnection,
} from '../src/handlers/connections';
import { sweepConnections, warnOfOutage } from '../src/services/sweep';
import { sweepSchedule } from '../src/services/sweepSchedule';
import { onLifecycleEvent } from '../src/events/lifecycle';
import {
  drainWebhookOutbox,
  outboxIntervalMs,
  recordLifecycleEvent,
  wakeDelivery,
  WEBHOOK_QUEUE,
} from '../src/services/webhookDeliveries';
import {
  createWebhook,
  deleteWebhook,
  getWebhook,
  listWebhookDeliveries,
  listWebhooks,
  testWebhook,
} from '../src/handlers/webhooks';
import { webhookContracts } from '../src/openapi/webhooks';
import { reportingFieldCatalog, reportsAcrossConnections } from '../src/handlers/reports';
import { reportContracts } from '../src/openapi/reports';
import {
  createConfig,
  deleteConfig,
  getConfig,
  getConfigSecretsMasked,
  listConfigs,
  patchConfig,
  verifyConfig,
} from '../src/handlers/configurations';

export const functions: FunctionDeclaration[] = [
  // Service
  {
    kind: 'http',
    name: 'health',
    methods: ['GET'],
    route: 'health',
    anonymous: true,
    handler: health,
    contract: serviceContracts.health,
  },
  {
    kind: 'http',
    name: 'openapi',
    methods: ['GET'],
    route: 'v1/openapi.json',
    anonymous: true,
    handler: openApiHandler(() => httpFunctions),
    contract: serviceContracts.openapi,
  },

  // Catalog
  {
    kind: 'http',
    name: 'connectors-list',
    methods: ['GET'],
    route: 'v1/connectors',
    handler: listConnectors,
    contract: catalogContracts.list,
  },
  {
    kind: 'http',
    name: 'connectors-get',
    methods: ['GET'],
    route: 'v1/connectors/{connector_type}',
    handler: getConnector,
    contract: catalogContracts.get,
  },
  {
    kind: 'http',
    name: 'connectors-validate',
    methods: ['POST'],
    route: 'v1/connectors/{connector_type}/validate',
    handler: validateConnectorConfig,
    contract: catalogContracts.validate,
  },
  {
    kind: 'http',
    name: 'reporting-fields',
    methods: ['GET'],
    route: 'v1/connectors/reporting/fields',
    handler: reportingFieldCatalog,
    contract: reportContracts.fields,
  },
  {
    kind: 'http',
    name: 'reports',
    methods: ['POST'],
    route: 'v1/connectors/reports',
    handler: reportsAcrossConnections,
    contract: reportContracts.across,
  },
  {
    kind: 'http',
    name: 'connectors-type-schema',
    methods: ['GET'],
    route: 'v1/connectors/types/{connector_type}/schema',
    handler: getConnectorSchema,
    contract: catalogContracts.schema,
  },

  // Connector configurations
  {
    kind: 'http',
    name: 'configs-create',
    methods: ['POST'],
    route: 'v1/connectors/configs',
    handler: createConfig,
    contract: configurationContracts.create,
  },
  {
    kind: 'http',
    name: 'configs-list',
    methods: ['GET'],
    route: 'v1/connectors/configs',
    handler: listConfigs,
    contract: configurationContracts.list,
  },
  {
    kind: 'http',
    name: 'configs-get',
    methods: ['GET'],
    route: 'v1/connectors/configs/{id}',
    handler: getConfig,
    contract: configurationContracts.get,
  },
  {
    kind: 'http',
    name: 'configs-get-config',
    methods: ['GET'],
    route: 'v1/connectors/configs/{id}/config',
    handler: getConfigSecretsMasked,
    contract: configurationContracts.config,
  },
  {
    kind: 'http',
    name: 'configs-patch',
    methods: ['PATCH'],
    route: 'v1/connectors/configs/{id}',
    handler: patchConfig,
    contract: configurationContracts.patch,
  },
  {
    kind: 'http',
    name: 'configs-delete',
    methods: ['DELETE'],
    route: 'v1/connectors/configs/{id}',
    handler: deleteConfig,
    contract: configurationContracts.remove,
  },
  {
    kind: 'http',
    name: 'configs-verify',
    methods: ['POST'],
    route: 'v1/connectors/configs/{id}/verify',
    handler: verifyConfig,
    contract: configurationContracts.verify,
  },

  // OAuth connections
  {
    kind: 'http',
    name: 'oauth-create',
    methods: ['POST'],
    route: 'v1/connectors/oauth',
    handler: createOAuthConnection,
    contract: connectionContracts.create,
  },
  {
    kind: 'http',
    name: 'oauth-list',
    methods: ['GET'],
    route: 'v1/connectors/oauth',
    handler: listOAuthConnections,
    contract: connectionContracts.list,
  },
  {
    kind: 'http',
    name: 'oauth-callback',
    methods: ['GET'],
    route: 'v1/connectors/oauth/callback',
    anonymous: true,
    handler: oauthCallback,
    contract: connectionContracts.callback,
  },
  {
    kind: 'http',
    name: 'oauth-get',
    methods: ['GET'],
    route: 'v1/connectors/oauth/{connection_id}',
    handler: getOAuthConnection,
    contract: connectionContracts.get,
  },
  {
    kind: 'http',
    name: 'oauth-delete',
    methods: ['DELETE'],
    route: 'v1/connectors/oauth/{connection_id}',
    handler: deleteOAuthConnection,
    contract: connectionContracts.remove,
  },
  {
    kind: 'http',
    name: 'oauth-refresh',
    methods: ['POST'],
    route: 'v1/connectors/oauth/{connection_id}/refresh',
    handler: refreshOAuthConnection,
    contract: connectionContracts.refresh,
  },
  {
    kind: 'http',
    name: 'oauth-test',
    methods: ['POST'],
    route: 'v1/connectors/oauth/{connection_id}/test',
    handler: testOAuthConnection,
    contract: connectionContracts.test,
  },
  {
    kind: 'http',
    name: 'oauth-reconnect',
    methods: ['POST'],
    route: 'v1/connectors/oauth/{connection_id}/reconnect',
    handler: reconnectOAuthConnection,
    contract: connectionContracts.reconnect,
  },
  // Operations on a connection
  ...(
    [
      ['metadata', 'GET', operationMetadata],
      ['account', 'POST', operationAccount],
      ['query', 'POST', operationQuery],
      ['execute', 'POST', operationExecute],
      ['message', 'POST', operationMessage],
      ['state', 'GET', operationState],
    ] as const
  ).map(
    ([op, method, handler]): HttpFunctionDeclaration => ({
      kind: 'http',
      name: `operations-${op}`,
      methods: [method],
      route: `v1/connectors/operations/{connection_id}/${op}`,
      handler,
      contract: operationContracts[op],
    }),
  ),
  // Webhooks
  {
    kind: 'http',
    name: 'webhooks-create',
    methods: ['POST'],
    route: 'v1/connectors/webhooks',
    handler: createWebhook,
    contract: webhookContracts.create,
  },
  {
    kind: 'http',
    name: 'webhooks-list',
    methods: ['GET'],
    route: 'v1/connectors/webhooks',
    handler: listWebhooks,
    contract: webhookContracts.list,
  },
  {
    kind: 'http',
    name: 'webhooks-get',
    methods: ['GET'],
    route: 'v1/connectors/webhooks/{id}',
    handler: getWebhook,
    contract: webhookContracts.get,
  },
  {
    kind: 'http',
    name: 'webhooks-delete',
    methods: ['DELETE'],
    route: 'v1/connectors/webhooks/{id}',
    handler: deleteWebhook,
    contract: webhookContracts.remove,
  },
  {
    kind: 'http',
    name: 'webhooks-test',
    methods: ['POST'],
    route: 'v1/connectors/webhooks/{id}/test',
    handler: testWebhook,
    contract: webhookContracts.test,
  },
  {
    kind: 'http',
    name: 'webhooks-deliveries',
    methods: ['GET'],
    route: 'v1/connectors/webhooks/{id}/deliveries',
    handler: listWebhookDeliveries,
    contract: webhookContracts.deliveries,
  },
  {
    kind: 'queue',
    name: 'webhooks-deliver',
    queueName: WEBHOOK_QUEUE,
    connection: 'QUEUES',
    handler: async (message, invocation) => {
      await wakeDelivery(message, invocation);
    },
  },
  {
    kind: 'timer',
    name: 'webhooks-outbox',
    schedule: '0 */5 * * * *',
    intervalMs: outboxIntervalMs(),
    handler: async (invocation) => {
      await drainWebhookOutbox(invocation);
    },
  },
  {
    kind: 'timer',
    name: 'connections-sweep',
    // Both from SWEEP_INTERVAL_SECONDS, read when the functions are registered (app settings in Azure).
    ...sweepSchedule(),
    handler: async (invocation) => {
      await sweepConnections(invocation).catch((err: unknown) => warnOfOutage(invocation, err));
    },
  },
];

// Every lifecycle event this instance emits becomes a delivery per matching subscription (written before the
// change's request answers). Registered here because the route table is what both hosts load.
onLifecycleEvent((event) => recordLifecycleEvent(event));

export const httpFunctions: HttpFunctionDeclaration[] = functions.filter(
  (f): f is HttpFunctionDeclaration => f.kind === 'http',
);

/**
 * Lowest precedence: answers 404/405 as JSON for whatever no function above takes. It lists HEAD and OPTIONS
 * too, which no function declares, so the Functions host hands them here (405 with Allow) instead of
 * answering an empty 404 itself.
 */
export const fallbackFunction: HttpFunctionDeclaration = {
  kind: 'http',
  name: 'fallback',
  methods: ['GET', 'HEAD', 'POST', 'PATCH', 'PUT', 'DELETE', 'OPTIONS'],
  route: '{*path}',
  anonymous: true,
  handler: fallbackHandler(() => httpFunctions),
  contract: serviceContracts.fallback,
};
