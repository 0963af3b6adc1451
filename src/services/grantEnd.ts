// A connection's reconnect_by after its tokens were issued or renewed: what the platform says of the grant
// (Meta's debug_token, through the family), else what the token response and the dialect say.
import { ConnectorDefinition } from '../catalog/types';
import { AppCredentials } from '../oauth/engine';
import { TokenSet } from '../oauth/tokens';
import { families } from '../platforms/registry/families';
import { ApiContext } from '../platforms/api';
import { grantEndOf } from './grantSchedule';

export async function reconnectByOf(
  definition: ConnectorDefinition,
  app: AppCredentials,
  context: ApiContext,
  tokens: TokenSet,
): Promise<string | undefined> {
  const ask = families[definition.family].grantEnd;
  // A platform that cannot answer now leaves the estimate from the tokens; the next renewal asks again.
  const platformEnd = ask ? await ask(context, app, tokens).catch(() => undefined) : undefined;
  return grantEndOf(definition, tokens, platformEnd);
}
