// The app credentials a connection uses: its connector configuration when it names one, else the
// CONNECTOR_<TYPE>_* settings (CLIENT_ID, CLIENT_SECRET and any other configuration field by name).
import { ConnectorDefinition } from '../catalog/types';
import { AppCredentials } from '../oauth/engine';
import { settings } from '../settings';
import { resolveConfiguration } from './configurations';
import { conflict, invalid } from '../shared/errors';

export interface ResolvedApp {
  app: AppCredentials;
  /** Every configuration field (developer token, login customer id…) for API calls. */
  config: Record<string, string>;
}

function fromSettings(def: ConnectorDefinition): ResolvedApp | undefined {
  const env = settings().env;
  const prefix = `CONNECTOR_${def.type.toUpperCase()}_`;
  const config: Record<string, string> = {};
  for (const field of Object.keys((def.configSchema.properties ?? {}) as object)) {
    const value = env[`${prefix}${field.toUpperCase()}`];
    if (value) config[field] = value;
  }
  const clientId = env[`${prefix}CLIENT_ID`] ?? config[def.appCredentialFields.clientId];
  const clientSecret = env[`${prefix}CLIENT_SECRET`] ?? config[def.appCredentialFields.clientSecret];
  if (!clientId || !clientSecret) return undefined;
  // The app's credentials under the type's own field names too: some API calls name the app (TikTok for
  // Business' advertiser list takes app_id and secret).
  const { clientId: idField, clientSecret: secretField } = def.appCredentialFields;
  return {
    app: { clientId, clientSecret },
    config: { ...config, [idField]: clientId, [secretField]: clientSecret },
  };
}

export async function resolveApp(
  tenantId: string,
  def: ConnectorDefinition,
  configId?: string,
): Promise<ResolvedApp> {
  if (!configId) {
    const resolved = fromSettings(def);
    if (!resolved) {
      throw invalid(
        `No app credentials for ${def.type}: pass config_id, or set CONNECTOR_${def.type.toUpperCase()}_CLIENT_ID and _CLIENT_SECRET.`,
        { code: 'no_app_credentials' },
      );
    }
    return resolved;
  }
  const { record, definition, config } = await resolveConfiguration(tenantId, configId);
  if (definition.family !== def.family) {
    throw invalid(
      `Configuration ${configId} is for ${record.connectorType}, which cannot serve ${def.type}.`,
      { code: 'config_platform_mismatch' },
    );
  }
  if (record.status === 'inactive') throw conflict(`Configuration ${configId} is inactive.`);
  const clientId = config[definition.appCredentialFields.clientId];
  const clientSecret = config[definition.appCredentialFields.clientSecret];
  if (!clientId || !clientSecret) {
    throw invalid(
      `Configuration ${configId} has no ${definition.appCredentialFields.clientId} and secret for OAuth.`,
      { code: 'no_app_credentials' },
    );
  }
  return { app: { clientId, clientSecret }, config };
}
