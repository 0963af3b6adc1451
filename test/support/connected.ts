// The set-up most end-to-end tests share: a test issuer, the local host pointed at one platform fake, a client
// with a token of tenant A, and one connection made through the real OAuth flow against that fake.
import { Api, apiClient } from './api';
import { connectThroughFlow } from './connect';
import { startTestIssuer, TEST_AUDIENCE, TestIssuer } from './issuer';
import { RunningHost, startHost } from './localHost';

export interface ConnectedHost {
  issuer: TestIssuer;
  host: RunningHost;
  api: Api;
  /** The connection made through the flow. */
  id: string;
}

export async function startConnectedHost(
  fake: { env(): Record<string, string> },
  connectorType: string,
  config: Record<string, string>,
): Promise<ConnectedHost> {
  const issuer = await startTestIssuer();
  const host = await startHost({
    env: { AUTH_AUTHORITY: issuer.url, AUTH_AUDIENCE: TEST_AUDIENCE, ...fake.env() },
  });
  const api = apiClient(host.api, await issuer.token());
  const id = await connectThroughFlow(api, connectorType, config);
  return { issuer, host, api, id };
}
