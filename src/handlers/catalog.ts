import { findDefinition, allDefinitions } from '../platforms/registry/definitions';
import { ConnectorDefinition } from '../catalog/types';
import { validateConfig } from '../platforms/registry/validation';
import { checkedBody } from '../http/body';
import { RequestContext } from '../http/context';
import { success } from '../http/envelope';
import { notFound } from '../http/errors';

/** The public description of a connector type; endpoint URLs and app credentials stay inside. */
export function describeConnector(def: ConnectorDefinition, withSchema: boolean): Record<string, unknown> {
  return {
    type: def.type,
    name: def.name,
    description: def.description,
    family: def.family,
    auth_type: def.authType,
    capabilities: def.capabilities,
    oauth: {
      default_scopes: def.oauth.scopes,
      scope_separator: def.oauth.scopeSeparator,
      pkce: def.oauth.pkce,
      refresh: def.oauth.refresh,
    },
    ...(withSchema ? { schema: def.configSchema, operations: def.operations } : {}),
  };
}

/** The definition named by the route's {connector_type}, or 404. */
export function definitionFromRoute(ctx: RequestContext): ConnectorDefinition {
  const type = ctx.params.connector_type ?? '';
  const def = findDefinition(type);
  if (!def) throw notFound(`Unknown connector type '${type.slice(0, 64)}'.`);
  return def;
}

let summaries: Record<string, unknown>[] | undefined;

export async function listConnectors(ctx: RequestContext) {
  // The catalog is fixed once the process has read its settings; describe it once.
  summaries ??= allDefinitions().map((d) => describeConnector(d, false));
  return success(ctx.requestId, summaries);
}

export async function getConnector(ctx: RequestContext) {
  return success(ctx.requestId, describeConnector(definitionFromRoute(ctx), true));
}

export async function getConnectorSchema(ctx: RequestContext) {
  return success(ctx.requestId, definitionFromRoute(ctx).configSchema);
}

export async function validateConnectorConfig(ctx: RequestContext) {
  const def = definitionFromRoute(ctx);
  const body = await checkedBody<{ config: Record<string, unknown> }>(ctx);
  return success(ctx.requestId, validateConfig(def.type, body.config));
}
