// What a platform family module offers the services. Adding a family is one module that fills this in.
import { AppCredentials } from '../oauth/engine';
import { TokenSet } from '../oauth/tokens';
import { ApiContext, ApiDialect, Identity } from './api';
import { AppProbe } from './verification';

export interface PlatformFamilyModule {
  /** Proves app credentials (configuration verify). */
  appProbe: AppProbe;
  /** Headers and error reading of the API. */
  api: ApiDialect;
  /** The account a token belongs to, where the definition cannot say it as an IdentityCall (Google Ads). */
  identity?(context: ApiContext, token: string): Promise<Identity | undefined>;
  /** Revokes the grant where the platform has no revocation endpoint the dialect can describe (Meta). */
  revoke?(context: ApiContext, app: AppCredentials, tokens: TokenSet): Promise<void>;
  /** When the grant itself ends (ISO), where the platform says so apart from the token response (Meta). */
  grantEnd?(context: ApiContext, app: AppCredentials, tokens: TokenSet): Promise<string | undefined>;
}
