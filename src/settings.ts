// The service's settings, read from the environment once (local.settings.json `Values` under Core Tools,
// app settings in Azure, the process environment under the local host).

export interface AuthSettings {
  /** OpenID Connect authority; undefined when neither AUTH_AUTHORITY nor AZURE_TENANT_ID is set. */
  authority?: string;
  audiences: string[];
  /** '*' for any tenant; undefined means "the authority's tenant", decided from its metadata. */
  allowedTenants?: string[] | '*';
  tenantId?: string;
  /** Least seconds between two signing-key refetches caused by unknown kids (AUTH_UNKNOWN_KID_REFETCH_SECONDS). */
  unknownKidRefetchSeconds: number;
}

export interface Settings {
  port: number;
  publicBaseUrl: string;
  auth: AuthSettings;
  tablesConnectionString?: string;
  tablesEndpoint?: string;
  /** TABLES_RETRY_DELAY_MS: the Table Storage SDK's first retry delay (doubling per retry); the SDK's own unset. */
  tablesRetryDelayMs?: number;
  keyVaultUrl?: string;
  localSecretsKey?: string;
  /** Where the local host keeps its data (Azurite, the generated local secret key). */
  dataDir: string;
  allowedReturnOrigins: string[];
  sessionIdleHours: number;
  webhooks: WebhookSettings;
  /** The most accounts a metadata answer lists per platform list (ACCOUNT_LIST_LIMIT); more are flagged `truncated`. */
  accountListLimit: number;
  env: NodeJS.ProcessEnv;
}

export interface WebhookSettings {
  /** QUEUES_CONNECTION_STRING, else QUEUES_ENDPOINT (managed identity); else the tables' account. */
  queuesConnectionString?: string;
  queuesEndpoint?: string;
  /** The waits before each retry of a failed delivery, in seconds. */
  retryDelaysSeconds: number[];
  /** Host names or IPs (lower case) that may be reached over http and at non-public addresses. */
  allowInsecureHosts: string[];
}

const DEFAULT_RETRY_DELAYS = [5, 300, 1800, 7200, 18000, 36000];

/** A queue message can stay hidden at most 7 days, so no wait can be longer. */
const MAX_RETRY_DELAY_SECONDS = 7 * 24 * 3600;

/**
 * WEBHOOK_RETRY_DELAYS_SECONDS: whole seconds from 0 to 7 days, comma-separated. Unset, or any entry out of
 * that range, gives the default: a typo must not stop every retry (nor every request, which reads settings).
 */
export function retryDelaysOf(raw: string | undefined): number[] {
  if (raw === undefined || raw.trim() === '') return DEFAULT_RETRY_DELAYS;
  const delays = list(raw).map(Number);
  const valid = delays.every((d) => Number.isInteger(d) && d >= 0 && d <= MAX_RETRY_DELAY_SECONDS);
  return valid ? delays : DEFAULT_RETRY_DELAYS;
}

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v.length > 0);
}

function positiveNumber(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return value && Number.isFinite(n) && n > 0 ? n : fallback;
}

function stripSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

export function readSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const port = Number(env.PORT ?? 7071);
  const publicBaseUrl = stripSlash(env.PUBLIC_BASE_URL || `http://localhost:${port}`);
  const tenantId = env.AZURE_TENANT_ID || undefined;
  const authority = env.AUTH_AUTHORITY
    ? stripSlash(env.AUTH_AUTHORITY)
    : tenantId
      ? `https://login.microsoftonline.com/${tenantId}/v2.0`
      : undefined;
  const tenants = list(env.AUTH_ALLOWED_TENANTS);
  const returnOrigins = list(env.OAUTH_ALLOWED_RETURN_URLS).map((u) => new URL(u).origin);
  return {
    port,
    publicBaseUrl,
    auth: {
      authority,
      audiences: list(env.AUTH_AUDIENCE),
      allowedTenants: tenants.includes('*') ? '*' : tenants.length > 0 ? tenants : undefined,
      tenantId,
      unknownKidRefetchSeconds: positiveNumber(env.AUTH_UNKNOWN_KID_REFETCH_SECONDS, 60),
    },
    tablesConnectionString: env.TABLES_CONNECTION_STRING || undefined,
    tablesEndpoint: env.TABLES_ENDPOINT || undefined,
    tablesRetryDelayMs: env.TABLES_RETRY_DELAY_MS
      ? positiveNumber(env.TABLES_RETRY_DELAY_MS, 1000)
      : undefined,
    keyVaultUrl: env.KEY_VAULT_URL || undefined,
    localSecretsKey: env.LOCAL_SECRETS_KEY || undefined,
    dataDir: env.DATA_DIR || '.data',
    allowedReturnOrigins: returnOrigins.length > 0 ? returnOrigins : [new URL(publicBaseUrl).origin],
    sessionIdleHours: Number(env.SESSION_IDLE_HOURS ?? 24),
    webhooks: {
      queuesConnectionString: env.QUEUES_CONNECTION_STRING || undefined,
      queuesEndpoint: env.QUEUES_ENDPOINT || undefined,
      retryDelaysSeconds: retryDelaysOf(env.WEBHOOK_RETRY_DELAYS_SECONDS),
      allowInsecureHosts: list(env.WEBHOOK_ALLOW_INSECURE_HOSTS).map((h) =>
        h.toLowerCase().replace(/^\[|\]$/g, ''),
      ),
    },
    accountListLimit: Math.max(1, Math.floor(Number(env.ACCOUNT_LIST_LIMIT ?? 5000)) || 5000),
    env,
  };
}

let current: Settings | undefined;

/** The process's settings, read on first use. */
export function settings(): Settings {
  current ??= readSettings();
  return current;
}

/** Forgets the cached settings, so the next call re-reads the environment (the local host sets some). */
export function resetSettings(): void {
  current = undefined;
}
