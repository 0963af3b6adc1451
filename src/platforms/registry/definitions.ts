// Every connector type, with endpoint and API version overrides from the settings applied once per process.
import { settings } from '../../settings';
import { families } from './families';
import { resolveApiVersions } from '../../catalog/apiVersions';
import { ConnectorDefinition, ConnectorType, CONNECTOR_TYPES, Endpoints } from '../../catalog/types';

const DEFINITIONS: readonly ConnectorDefinition[] = Object.values(families)
  .flatMap((f) => f.definitions)
  .sort((a, b) => CONNECTOR_TYPES.indexOf(a.type) - CONNECTOR_TYPES.indexOf(b.type));

/** The setting that overrides an endpoint: CONNECTOR_GOOGLE_ADS_API_URL, CONNECTOR_TWITTER_APP_TOKEN_URL… */
export function endpointSetting(type: ConnectorType, endpoint: string): string {
  return `CONNECTOR_${type.toUpperCase()}_${endpoint.toUpperCase()}_URL`;
}

function withOverrides(def: ConnectorDefinition, env: NodeJS.ProcessEnv): ConnectorDefinition {
  const endpoints: Endpoints = { ...def.endpoints };
  for (const [name, url] of Object.entries(def.endpoints)) {
    const override = env[endpointSetting(def.type, name)];
    // Keep a trailing slash only where the platform's own URL has one (TikTok's endpoints need it).
    if (override) endpoints[name] = url?.endsWith('/') ? override : override.replace(/\/+$/, '');
  }
  return { ...def, endpoints };
}

/** A definition as the settings in `env` make it: endpoint overrides, then the API versions in effect. */
export function resolveDefinition(def: ConnectorDefinition, env: NodeJS.ProcessEnv): ConnectorDefinition {
  return resolveApiVersions(withOverrides(def, env), env);
}

/** Every definition as the settings in `env` make it (the process's own come from allDefinitions()). */
export function resolveDefinitions(env: NodeJS.ProcessEnv): ConnectorDefinition[] {
  return DEFINITIONS.map((d) => resolveDefinition(d, env));
}

let resolved: Map<ConnectorType, ConnectorDefinition> | undefined;

function definitions(): Map<ConnectorType, ConnectorDefinition> {
  if (!resolved) {
    const env = settings().env;
    resolved = new Map(DEFINITIONS.map((d) => [d.type, resolveDefinition(d, env)]));
  }
  return resolved;
}

export function allDefinitions(): ConnectorDefinition[] {
  return [...definitions().values()];
}

/** Case-insensitive lookup; undefined for an unknown type. */
export function findDefinition(type: string): ConnectorDefinition | undefined {
  return definitions().get(type.trim().toLowerCase() as ConnectorType);
}

export function isConnectorType(type: string): type is ConnectorType {
  return (CONNECTOR_TYPES as readonly string[]).includes(type.trim().toLowerCase());
}
