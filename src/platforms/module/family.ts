// What a platform family is to the rest of the app: one module (src/platforms/<family>/index.ts) exporting one
// object of this type, registered by one line in src/platforms/registry/families.ts. Everything the catalog,
// the OAuth flow, the operations and the reports know of a family comes from here.
import { AppCredentials } from '../../oauth/engine';
import { TokenSet } from '../../oauth/tokens';
import { ConnectorDefinition, ConnectorType, PlatformFamily } from '../../catalog/types';
import { ApiContext, ApiDialect, Identity } from '../api';
import { FamilyOperations } from '../operations';
import { FamilyReporter } from '../reporting/types';
import { AppProbe } from '../verification';

export interface PlatformFamilyModule {
  /** The family's name (every definition's `family`). */
  family: PlatformFamily;
  /** Its connector types: endpoints, OAuth dialect, configuration schema, operations' JSON Schemas. */
  definitions: readonly ConnectorDefinition[];
  /**
   * Accounts, queries and executes; `execute` is keyed by the same names as the definitions'
   * `operations.execute` schemas.
   */
  operations: FamilyOperations;
  /** The report mapping of each of its types that answers `report` queries (the catalog's `report`). */
  reporters?: Partial<Record<ConnectorType, FamilyReporter>>;
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
