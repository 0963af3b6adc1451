// Makes an active OAuth connection through the real flow: configuration → connection → platform consent
// (a fake) → callback. Returns the connection id.
import { Api } from './api';
import { followAuthorization } from './oauthFlow';

export async function connectThroughFlow(
  api: Api,
  connectorType: string,
  config: Record<string, string>,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const cfg = await api('POST', '/v1/connectors/configs', {
    body: { name: `${connectorType} app`, connector_type: connectorType, config },
  });
  if (cfg.status !== 201) throw new Error(`config: ${cfg.status} ${JSON.stringify(cfg.body)}`);
  const created = await api('POST', '/v1/connectors/oauth', {
    body: { connector_type: connectorType, config_id: cfg.body.data.id, ...extra },
  });
  if (created.status !== 201)
    throw new Error(`connection: ${created.status} ${JSON.stringify(created.body)}`);
  const flow = await followAuthorization(created.body.data.authorization_url);
  if (flow.callbackStatus >= 400) throw new Error(`callback: ${flow.callbackStatus} ${flow.callbackBody}`);
  const got = await api('GET', `/v1/connectors/oauth/${created.body.data.id}`);
  if (got.body.data.status !== 'active')
    throw new Error(`connection is ${got.body.data.status}: ${got.body.data.last_error}`);
  return created.body.data.id;
}
