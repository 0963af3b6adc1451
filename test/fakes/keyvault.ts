// A Key Vault (secrets) look-alike over HTTPS plus an App Service managed identity endpoint, so that the
// real SecretClient and DefaultAzureCredential can run against loopback in a child process. The
// behaviour follows the real service where the service's code depends on it: the challenge-first
// authentication, soft delete (a deleted name cannot be reused until purged or recovered), the error
// codes and shapes, and the limits on names and values.
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createHttpsServer, Server as HttpsServer } from 'node:https';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { FakeRequest, FakeResponse, nowSeconds, startFakeServer } from './http';

const execFileAsync = promisify(execFile);

export const KEY_VAULT_API_VERSION = '2025-07-01';
export const KEY_VAULT_RESOURCE = 'https://vault.azure.net';
export const STORAGE_RESOURCE = 'https://storage.azure.com';
/** The App Service managed identity protocol version that MSAL sends. */
export const MANAGED_IDENTITY_API_VERSION = '2019-08-01';

const NAME_PATTERN = /^[0-9a-zA-Z-]{1,127}$/;
const VERSION_PATTERN = /^[0-9a-f]{32}$/;
const MAX_VALUE_CHARS = 25_600;
const MAX_TAGS = 15;
const MAX_PAGE = 25;
const RECOVERABLE_DAYS = 90;
// Real managed identity tokens live about a day; MSAL caches them, so one request per resource and process.
const TOKEN_LIFETIME_SECONDS = 24 * 3600;

export type KeyVaultFault = 'unavailable' | 'throttled';

export interface KeyVaultFakeOptions {
  /** Tenant named in the challenge and in issued tokens; a random GUID by default. */
  tenantId?: string;
  /**
   * Behave like a vault with purge protection (what infra/ deploys): purge answers 403 and
   * recoveryLevel is "Recoverable". Default false ("Recoverable+Purgeable").
   */
  purgeProtection?: boolean;
  /**
   * Milliseconds after a DELETE before the secret shows under /deletedsecrets (the real service takes
   * a few seconds, so the delete poller sees 404 first). Default 0.
   */
  deletionLagMs?: number;
}

export interface FakeSecretVersion {
  version: string;
  value: string;
  contentType?: string;
  tags?: Record<string, string>;
  enabled: boolean;
  created: number;
  updated: number;
}

export interface FakeSecretState {
  /** The name as first written (Key Vault names are case-insensitive). */
  name: string;
  deleted: boolean;
  /** The version GET /secrets/{name}/ answers. */
  latest: string;
  /** Oldest first. */
  versions: FakeSecretVersion[];
}

export interface KeyVaultRequestRecord {
  method: string;
  /** Without the query string. */
  path: string;
  status: number;
  /** Whether the request carried a bearer token (the first request of a client does not). */
  authorized: boolean;
}

export interface KeyVaultFakeStats {
  /** Every Key Vault request, in order. */
  requests: KeyVaultRequestRecord[];
  /** Key Vault requests counted by `${method} ${path}`. */
  byRoute: Record<string, number>;
  /** 401 answers with the challenge to requests that carried no token. */
  challenges: number;
  /** Tokens issued by the managed identity endpoint, by resource. */
  tokenRequests: Record<string, number>;
  /** Every managed identity request, in order, with the resource asked for and the status answered. */
  identityRequests: Array<{ resource: string; status: number }>;
}

export interface KeyVaultFake {
  /** https://127.0.0.1:PORT, no trailing slash. */
  readonly vaultUrl: string;
  /** PEM of the self-signed certificate the vault serves; trust it with NODE_EXTRA_CA_CERTS. */
  readonly caCertPath: string;
  /**
   * PEM of the certificate's private key, so another loopback HTTPS service can present the same trusted
   * certificate (Azurite: --cert caCertPath --key tlsKeyPath --oauth basic, since the Azure SDKs refuse to send
   * bearer tokens over plain http).
   */
  readonly tlsKeyPath: string;
  /** http://127.0.0.1:PORT/msi/token */
  readonly identityEndpoint: string;
  readonly identityHeader: string;
  readonly tenantId: string;
  /** Client id of the fake system-assigned identity (the `client_id` of every token answer). */
  readonly clientId: string;
  /**
   * KEY_VAULT_URL, IDENTITY_ENDPOINT, IDENTITY_HEADER and NODE_EXTRA_CA_CERTS for a child process.
   * NODE_EXTRA_CA_CERTS is read only when a process starts, so this works for children, not in-process.
   * The child must not inherit IDENTITY_SERVER_THUMBPRINT (MSAL would pick Service Fabric),
   * AZURE_CLIENT_ID (a user-assigned identity this endpoint does not know: 400), nor
   * AZURE_CLIENT_SECRET/AZURE_TENANT_ID/AZURE_FEDERATED_TOKEN_FILE (an earlier credential of the chain would win).
   */
  env(): Record<string, string>;
  /** Current state, keyed by name as first written; copies, so safe to keep. */
  secrets(): Record<string, FakeSecretState>;
  /** Writes a version directly, without a request (for seeding); returns the version id. */
  setSecret(
    name: string,
    value: string,
    options?: { contentType?: string; tags?: Record<string, string> },
  ): string;
  readonly stats: KeyVaultFakeStats;
  /**
   * The next `times` (default 1) authenticated Key Vault requests whose path matches (any when no
   * pattern) answer 503 ServiceUnavailable or 429 Throttled with Retry-After. The unauthenticated
   * challenge request and the managed identity endpoint are never failed.
   */
  failNext(kind: KeyVaultFault, pathPattern?: RegExp, times?: number): void;
  close(): Promise<void>;
}

interface StoredVersion {
  version: string;
  value: string;
  contentType?: string;
  tags?: Record<string, string>;
  enabled: boolean;
  nbf?: number;
  exp?: number;
  created: number;
  updated: number;
}

interface StoredSecret {
  name: string;
  versions: StoredVersion[];
  deleted?: { deletedDate: number; scheduledPurgeDate: number; visibleAtMs: number };
}

interface IssuedToken {
  resource: string;
  exp: number;
}

interface PendingFault {
  kind: KeyVaultFault;
  pattern?: RegExp;
  remaining: number;
}

type Json = Record<string, unknown>;

function kvError(
  status: number,
  code: string,
  message: string,
  headers?: Record<string, string>,
): FakeResponse {
  return { status, headers, body: { error: { code, message } } };
}

function notFound(what: string): FakeResponse {
  return kvError(
    404,
    'SecretNotFound',
    `A secret with (name/id) ${what} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`,
  );
}

function isRecord(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function base64url(v: unknown): string {
  return Buffer.from(JSON.stringify(v)).toString('base64url');
}

async function generateCertificate(dir: string): Promise<{ keyPath: string; certPath: string }> {
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  // EC keys generate instantly, where RSA-2048 costs a noticeable fraction of a second per start.
  await execFileAsync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyPath,
      '-out',
      certPath,
      '-days',
      '2',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ],
    { timeout: 20_000 },
  );
  return { keyPath, certPath };
}

/** Starts the vault (HTTPS) and the managed identity endpoint (HTTP), both on 127.0.0.1. */
export async function startKeyVaultFake(options: KeyVaultFakeOptions = {}): Promise<KeyVaultFake> {
  const tenantId = options.tenantId ?? randomUUID();
  const clientId = randomUUID();
  const principalId = randomUUID();
  const identityHeader = randomBytes(18).toString('hex');
  const purgeProtection = options.purgeProtection ?? false;
  const deletionLagMs = options.deletionLagMs ?? 0;
  const recoveryLevel = purgeProtection ? 'Recoverable' : 'Recoverable+Purgeable';

  const store = new Map<string, StoredSecret>();
  const tokens = new Map<string, IssuedToken>();
  const faults: PendingFault[] = [];
  const stats: KeyVaultFakeStats = {
    requests: [],
    byRoute: {},
    challenges: 0,
    tokenRequests: {},
    identityRequests: [],
  };

  const dir = await mkdtemp(join(tmpdir(), 'kv-fake-'));
  let https: HttpsServer | undefined;
  let identity: { url: string; close(): Promise<void> } | undefined;

  // ---- managed identity endpoint -------------------------------------------------------------
  const miError = (status: number, error: string, message: string): FakeResponse => ({
    status,
    body: { statusCode: status, error, message, correlationId: randomUUID() },
  });

  const issueToken = (resource: string): { token: string; exp: number } => {
    const iat = nowSeconds();
    const exp = iat + TOKEN_LIFETIME_SECONDS;
    // Shaped like a real managed identity JWT so logging or claim peeking behaves; the signature is
    // random because nothing verifies it but this fake, which looks tokens up by value.
    const token = [
      base64url({ typ: 'JWT', alg: 'RS256', kid: 'kv-fake' }),
      base64url({
        aud: resource,
        iss: `https://sts.windows.net/${tenantId}/`,
        iat,
        nbf: iat,
        exp,
        appid: clientId,
        oid: principalId,
        sub: principalId,
        tid: tenantId,
        idtyp: 'app',
        uti: randomBytes(12).toString('base64url'),
      }),
      randomBytes(32).toString('base64url'),
    ].join('.');
    tokens.set(token, { resource, exp });
    return { token, exp };
  };

  const handleIdentity = (req: FakeRequest): FakeResponse => {
    const resource = req.url.searchParams.get('resource') ?? '';
    const answer = (res: FakeResponse): FakeResponse => {
      stats.identityRequests.push({ resource, status: res.status });
      return res;
    };
    if (req.path.replace(/\/$/, '') !== '/msi/token') return answer(miError(404, 'not_found', 'Not found'));
    if (req.method !== 'GET') return answer(miError(405, 'invalid_request', 'Only GET is supported'));
    const header = req.headers['x-identity-header'];
    if (header === undefined) return answer(miError(400, 'invalid_request', 'X-IDENTITY-HEADER is missing'));
    if (header !== identityHeader)
      return answer(miError(401, 'unauthorized', 'X-IDENTITY-HEADER is invalid'));
    const apiVersion = req.url.searchParams.get('api-version');
    if (apiVersion !== MANAGED_IDENTITY_API_VERSION) {
      return answer(
        miError(400, 'invalid_request', `api-version ${apiVersion ?? '(none)'} is not supported`),
      );
    }
    if (!resource) return answer(miError(400, 'invalid_request', 'resource is required'));
    const askedClient = req.url.searchParams.get('client_id');
    const askedObject = req.url.searchParams.get('object_id');
    const askedResourceId = req.url.searchParams.get('mi_res_id');
    if (
      (askedClient && askedClient !== clientId) ||
      (askedObject && askedObject !== principalId) ||
      askedResourceId
    ) {
      // What App Service says when a user-assigned identity is asked for that the app does not have.
      return answer(miError(400, 'invalid_request', 'Unable to load the proper Managed Identity.'));
    }
    const { token, exp } = issueToken(resource);
    stats.tokenRequests[resource] = (stats.tokenRequests[resource] ?? 0) + 1;
    return answer({
      status: 200,
      body: {
        access_token: token,
        expires_on: String(exp),
        resource,
        token_type: 'Bearer',
        client_id: clientId,
      },
    });
  };

  // ---- vault ----------------------------------------------------------------------------------
  const challengeHeader = `Bearer authorization="https://login.microsoftonline.com/${tenantId}", resource="${KEY_VAULT_RESOURCE}"`;
  const unauthorized = (message: string): FakeResponse =>
    kvError(401, 'Unauthorized', message, { 'www-authenticate': challengeHeader });

  const attributesOf = (v: StoredVersion): Json => ({
    enabled: v.enabled,
    ...(v.nbf !== undefined ? { nbf: v.nbf } : {}),
    ...(v.exp !== undefined ? { exp: v.exp } : {}),
    created: v.created,
    updated: v.updated,
    recoveryLevel,
    recoverableDays: RECOVERABLE_DAYS,
  });

  const bundle = (base: string, s: StoredSecret, v: StoredVersion, withValue: boolean): Json => ({
    ...(withValue ? { value: v.value } : {}),
    id: `${base}/secrets/${s.name}/${v.version}`,
    ...(v.contentType !== undefined ? { contentType: v.contentType } : {}),
    ...(v.tags !== undefined ? { tags: { ...v.tags } } : {}),
    attributes: attributesOf(v),
  });

  const deletedBundle = (base: string, s: StoredSecret): Json => {
    const latest = s.versions[s.versions.length - 1];
    return {
      recoveryId: `${base}/deletedsecrets/${s.name}`,
      deletedDate: s.deleted?.deletedDate,
      scheduledPurgeDate: s.deleted?.scheduledPurgeDate,
      ...bundle(base, s, latest, false),
    };
  };

  const latestOf = (s: StoredSecret): StoredVersion => s.versions[s.versions.length - 1];

  const live = (name: string): StoredSecret | undefined => {
    const s = store.get(name.toLowerCase());
    return s && !s.deleted ? s : undefined;
  };

  const visiblyDeleted = (name: string): StoredSecret | undefined => {
    const s = store.get(name.toLowerCase());
    return s?.deleted && Date.now() >= s.deleted.visibleAtMs ? s : undefined;
  };

  const validateTags = (tags: unknown): Record<string, string> | FakeResponse | undefined => {
    if (tags === undefined || tags === null) return undefined;
    if (!isRecord(tags) || Object.values(tags).some((t) => typeof t !== 'string')) {
      return kvError(400, 'BadParameter', 'Tags must be an object of string values.');
    }
    if (Object.keys(tags).length > MAX_TAGS) {
      return kvError(400, 'BadParameter', `The number of tags exceeds the maximum allowed (${MAX_TAGS}).`);
    }
    return tags as Record<string, string>;
  };

  const readAttributes = (a: unknown): { enabled?: boolean; nbf?: number; exp?: number } | FakeResponse => {
    if (a === undefined || a === null) return {};
    if (!isRecord(a)) return kvError(400, 'BadParameter', 'attributes must be an object.');
    const out: { enabled?: boolean; nbf?: number; exp?: number } = {};
    if (a.enabled !== undefined) {
      if (typeof a.enabled !== 'boolean')
        return kvError(400, 'BadParameter', 'attributes.enabled must be a boolean.');
      out.enabled = a.enabled;
    }
    for (const k of ['nbf', 'exp'] as const) {
      if (a[k] !== undefined && a[k] !== null) {
        if (typeof a[k] !== 'number')
          return kvError(400, 'BadParameter', `attributes.${k} must be a number.`);
        out[k] = a[k];
      }
    }
    return out;
  };

  const isResponse = (v: unknown): v is FakeResponse => isRecord(v) && typeof v.status === 'number';

  const writeVersion = (
    name: string,
    value: string,
    contentType: string | undefined,
    tags: Record<string, string> | undefined,
    attrs: { enabled?: boolean; nbf?: number; exp?: number },
  ): { secret: StoredSecret; version: StoredVersion } => {
    const key = name.toLowerCase();
    const secret = store.get(key) ?? { name, versions: [] };
    store.set(key, secret);
    const now = nowSeconds();
    const version: StoredVersion = {
      version: randomBytes(16).toString('hex'),
      value,
      contentType,
      tags: tags ? { ...tags } : undefined,
      enabled: attrs.enabled ?? true,
      nbf: attrs.nbf,
      exp: attrs.exp,
      created: now,
      updated: now,
    };
    secret.versions.push(version);
    return { secret, version };
  };

  const setSecret = (req: FakeRequest, base: string, name: string): FakeResponse => {
    const existing = store.get(name.toLowerCase());
    if (existing?.deleted) {
      if (Date.now() < existing.deleted.visibleAtMs) {
        return kvError(409, 'Conflict', `Secret ${name} is currently being deleted.`);
      }
      return kvError(
        409,
        'Conflict',
        `Secret ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.`,
      );
    }
    const body = req.json();
    if (!isRecord(body)) return kvError(400, 'BadParameter', 'The request body is not a valid JSON object.');
    if (typeof body.value !== 'string') return kvError(400, 'BadParameter', 'Property value is required.');
    if (body.value.length > MAX_VALUE_CHARS) {
      return kvError(
        400,
        'BadParameter',
        `Secret is beyond the maximum permitted length of ${MAX_VALUE_CHARS} characters.`,
      );
    }
    if (body.contentType !== undefined && body.contentType !== null && typeof body.contentType !== 'string') {
      return kvError(400, 'BadParameter', 'contentType must be a string.');
    }
    const tags = validateTags(body.tags);
    if (isResponse(tags)) return tags;
    const attrs = readAttributes(body.attributes);
    if (isResponse(attrs)) return attrs;
    const contentType = typeof body.contentType === 'string' ? body.contentType : undefined;
    const { secret, version } = writeVersion(name, body.value, contentType, tags, attrs);
    return { status: 200, body: bundle(base, secret, version, true) };
  };

  const getSecret = (base: string, name: string, versionId: string): FakeResponse => {
    const s = live(name);
    if (!s) return notFound(versionId ? `${name}/${versionId}` : name);
    const v = versionId ? s.versions.find((x) => x.version === versionId.toLowerCase()) : latestOf(s);
    if (!v) return notFound(`${name}/${versionId}`);
    if (!v.enabled) {
      return {
        status: 403,
        body: {
          error: {
            code: 'Forbidden',
            message: 'Operation get is not allowed on a disabled secret.',
            innererror: { code: 'SecretDisabled' },
          },
        },
      };
    }
    return { status: 200, body: bundle(base, s, v, true) };
  };

  const updateSecret = (req: FakeRequest, base: string, name: string, versionId: string): FakeResponse => {
    const s = live(name);
    if (!s) return notFound(versionId ? `${name}/${versionId}` : name);
    const v = versionId ? s.versions.find((x) => x.version === versionId.toLowerCase()) : latestOf(s);
    if (!v) return notFound(`${name}/${versionId}`);
    const body = req.json();
    if (!isRecord(body)) return kvError(400, 'BadParameter', 'The request body is not a valid JSON object.');
    const tags = validateTags(body.tags);
    if (isResponse(tags)) return tags;
    const attrs = readAttributes(body.attributes);
    if (isResponse(attrs)) return attrs;
    if (typeof body.contentType === 'string') v.contentType = body.contentType;
    if (tags !== undefined) v.tags = { ...tags };
    if (attrs.enabled !== undefined) v.enabled = attrs.enabled;
    if (attrs.nbf !== undefined) v.nbf = attrs.nbf;
    if (attrs.exp !== undefined) v.exp = attrs.exp;
    v.updated = nowSeconds();
    return { status: 200, body: bundle(base, s, v, false) };
  };

  const deleteSecret = (base: string, name: string): FakeResponse => {
    const s = live(name);
    if (!s) return notFound(name);
    const now = nowSeconds();
    s.deleted = {
      deletedDate: now,
      scheduledPurgeDate: now + RECOVERABLE_DAYS * 86400,
      visibleAtMs: Date.now() + deletionLagMs,
    };
    return { status: 200, body: deletedBundle(base, s) };
  };

  const deletedNotFound = (name: string): FakeResponse =>
    kvError(404, 'SecretNotFound', `Deleted Secret not found: ${name}`);

  const purge = (name: string): FakeResponse => {
    const s = visiblyDeleted(name);
    if (!s) return deletedNotFound(name);
    if (purgeProtection) {
      return kvError(
        403,
        'Forbidden',
        'Operation "purge" is not allowed because purge protection is enabled for this vault. Key Vault service will automatically purge it after the retention period has passed.',
      );
    }
    store.delete(name.toLowerCase());
    return { status: 204 };
  };

  const recover = (base: string, name: string): FakeResponse => {
    const s = visiblyDeleted(name);
    if (!s) return deletedNotFound(name);
    delete s.deleted;
    return { status: 200, body: bundle(base, s, latestOf(s), false) };
  };

  /** One page of a listing, with nextLink when more remain. */
  const page = (req: FakeRequest, base: string, items: Json[]): FakeResponse => {
    const maxRaw = req.url.searchParams.get('maxresults');
    const max = maxRaw === null ? MAX_PAGE : Number(maxRaw);
    if (!Number.isInteger(max) || max < 1 || max > MAX_PAGE) {
      return kvError(400, 'BadParameter', `maxresults must be an integer between 1 and ${MAX_PAGE}.`);
    }
    const skipRaw = req.url.searchParams.get('$skiptoken');
    const skip = skipRaw === null ? 0 : Number(Buffer.from(skipRaw, 'base64url').toString('utf8'));
    if (!Number.isInteger(skip) || skip < 0) return kvError(400, 'BadParameter', 'Invalid $skiptoken.');
    const slice = items.slice(skip, skip + max);
    const more = skip + max < items.length;
    const next = new URL(`${base}${req.path}`);
    next.searchParams.set('api-version', KEY_VAULT_API_VERSION);
    next.searchParams.set('$skiptoken', Buffer.from(String(skip + max)).toString('base64url'));
    next.searchParams.set('maxresults', String(max));
    return { status: 200, body: { value: slice, nextLink: more ? next.toString() : null } };
  };

  const sortedSecrets = (): StoredSecret[] =>
    [...store.values()].sort((a, b) => a.name.localeCompare(b.name));

  const listSecrets = (req: FakeRequest, base: string): FakeResponse =>
    page(
      req,
      base,
      sortedSecrets()
        .filter((s) => !s.deleted)
        .map((s) => ({ ...bundle(base, s, latestOf(s), false), id: `${base}/secrets/${s.name}` })),
    );

  const listVersions = (req: FakeRequest, base: string, name: string): FakeResponse => {
    const s = live(name);
    if (!s) return notFound(name);
    return page(
      req,
      base,
      s.versions.map((v) => bundle(base, s, v, false)),
    );
  };

  const listDeleted = (req: FakeRequest, base: string): FakeResponse =>
    page(
      req,
      base,
      sortedSecrets()
        .filter((s) => s.deleted && Date.now() >= s.deleted.visibleAtMs)
        .map((s) => deletedBundle(base, s)),
    );

  const route = (req: FakeRequest, base: string): FakeResponse => {
    const segments = req.path.split('/').slice(1);
    let names: string[];
    try {
      names = segments.map((s) => decodeURIComponent(s));
    } catch {
      return kvError(400, 'BadParameter', 'The request URI is malformed.');
    }
    const [collection, name, third, fourth] = names;
    const method = req.method;
    const notAllowed = (): FakeResponse =>
      kvError(405, 'MethodNotAllowed', `The requested resource does not support http method '${method}'.`);
    const noRoute = (): FakeResponse =>
      kvError(404, 'NotFound', `The Key Vault fake has no route for ${method} ${req.path}.`);

    if (collection !== 'secrets' && collection !== 'deletedsecrets') return noRoute();
    if (names.length === 1 || (names.length === 2 && name === '')) {
      if (method !== 'GET') return notAllowed();
      return collection === 'secrets' ? listSecrets(req, base) : listDeleted(req, base);
    }
    if (collection === 'secrets' && name === 'restore') {
      return kvError(501, 'NotImplemented', 'The Key Vault fake does not implement backup and restore.');
    }
    if (!NAME_PATTERN.test(name)) {
      return kvError(400, 'BadParameter', `The request URI contains an invalid name: ${name}`);
    }
    if (names.length > 3 || fourth !== undefined) return noRoute();

    if (collection === 'deletedsecrets') {
      if (names.length === 2) {
        if (method === 'GET') {
          const s = visiblyDeleted(name);
          return s ? { status: 200, body: deletedBundle(base, s) } : deletedNotFound(name);
        }
        if (method === 'DELETE') return purge(name);
        return notAllowed();
      }
      if (third === 'recover') return method === 'POST' ? recover(base, name) : notAllowed();
      return noRoute();
    }

    if (names.length === 2) {
      if (method === 'PUT') return setSecret(req, base, name);
      if (method === 'GET') return getSecret(base, name, '');
      if (method === 'DELETE') return deleteSecret(base, name);
      if (method === 'PATCH') return updateSecret(req, base, name, '');
      return notAllowed();
    }
    if (third === 'versions') return method === 'GET' ? listVersions(req, base, name) : notAllowed();
    if (third === 'backup') {
      return kvError(501, 'NotImplemented', 'The Key Vault fake does not implement backup and restore.');
    }
    if (third !== '' && !VERSION_PATTERN.test(third.toLowerCase())) return notFound(`${name}/${third}`);
    if (method === 'GET') return getSecret(base, name, third);
    if (method === 'PATCH') return updateSecret(req, base, name, third);
    return notAllowed();
  };

  const handleVault = (req: FakeRequest, base: string): FakeResponse => {
    // The SDK sends its first request without a token (and without the body) to learn the
    // authority and resource from the challenge, so authentication comes before anything else.
    const auth = req.headers.authorization;
    if (!auth) {
      stats.challenges++;
      return unauthorized('AKV10000: Request is missing a Bearer or PoP token.');
    }
    const token = req.bearer();
    const issued = token ? tokens.get(token) : undefined;
    if (!issued) return unauthorized('AKV10032: Invalid issuer. The token was not issued by this fake.');
    if (issued.resource.replace(/\/+$/, '') !== KEY_VAULT_RESOURCE) {
      return unauthorized(
        `AKV10022: Invalid audience. Expected ${KEY_VAULT_RESOURCE}, found: ${issued.resource}.`,
      );
    }
    if (issued.exp <= nowSeconds()) return unauthorized('AKV10022: Token is expired.');

    const i = faults.findIndex((f) => !f.pattern || f.pattern.test(req.path));
    if (i >= 0) {
      const fault = faults[i];
      if (--fault.remaining <= 0) faults.splice(i, 1);
      return fault.kind === 'throttled'
        ? kvError(429, 'Throttled', 'Operations per second exceeded', { 'retry-after': '1' })
        : kvError(
            503,
            'ServiceUnavailable',
            'The service is currently unavailable. Please retry the request.',
          );
    }

    const apiVersion = req.url.searchParams.get('api-version');
    if (apiVersion === null) {
      return kvError(
        400,
        'BadParameter',
        'The api-version query parameter (?api-version=) is required for all requests.',
      );
    }
    if (apiVersion !== KEY_VAULT_API_VERSION) {
      return kvError(
        400,
        'BadParameter',
        `The specified version (${apiVersion}) is not recognized. Consider using the latest supported version (${KEY_VAULT_API_VERSION}).`,
      );
    }
    const mediaType = req.headers['content-type'] ?? '';
    if (req.body.length > 0 && !mediaType.toLowerCase().startsWith('application/json')) {
      // ASP.NET's shape, not Key Vault's: the real service rejects it before its own handlers run.
      return {
        status: 415,
        body: {
          Message: `The request contains an entity body but no Content-Type header. The inferred media type '${mediaType || 'application/octet-stream'}' is not supported for this resource.`,
        },
      };
    }
    return route(req, base);
  };

  const onVaultRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'https://127.0.0.1');
      const base = `https://${req.headers.host ?? '127.0.0.1'}`;
      const fakeReq: FakeRequest = {
        method: req.method ?? 'GET',
        url,
        path: url.pathname,
        headers: req.headers,
        body,
        form: () => new URLSearchParams(body),
        json: () => {
          try {
            return JSON.parse(body) as unknown;
          } catch {
            return undefined;
          }
        },
        bearer: () => {
          const a = req.headers.authorization;
          return a?.toLowerCase().startsWith('bearer ') ? a.slice(7).trim() : undefined;
        },
      };
      let out: FakeResponse;
      try {
        out = handleVault(fakeReq, base);
      } catch (err) {
        out = kvError(500, 'InternalServerError', String(err));
      }
      const record = {
        method: fakeReq.method,
        path: fakeReq.path,
        status: out.status,
        authorized: !!fakeReq.headers.authorization,
      };
      stats.requests.push(record);
      const key = `${record.method} ${record.path}`;
      stats.byRoute[key] = (stats.byRoute[key] ?? 0) + 1;
      const payload = out.body === undefined ? '' : JSON.stringify(out.body);
      const headers: Record<string, string> = {
        'x-ms-request-id': randomUUID(),
        'x-ms-keyvault-service-version': '1.9.0.0',
        ...(out.headers ?? {}),
      };
      if (out.body !== undefined) headers['content-type'] = 'application/json; charset=utf-8';
      res.writeHead(out.status, headers);
      res.end(payload);
    });
  };

  try {
    const { keyPath, certPath } = await generateCertificate(dir);
    const [key, cert] = await Promise.all([readFile(keyPath), readFile(certPath)]);
    const server = createHttpsServer({ key, cert }, onVaultRequest);
    https = server;
    server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    identity = await startFakeServer(handleIdentity);
    const { port } = server.address() as AddressInfo;
    const vaultUrl = `https://127.0.0.1:${port}`;
    const identityEndpoint = `${identity.url}/msi/token`;
    const identityServer = identity;
    let closed: Promise<void> | undefined;

    return {
      vaultUrl,
      caCertPath: certPath,
      tlsKeyPath: keyPath,
      identityEndpoint,
      identityHeader,
      tenantId,
      clientId,
      stats,
      env: () => ({
        KEY_VAULT_URL: vaultUrl,
        IDENTITY_ENDPOINT: identityEndpoint,
        IDENTITY_HEADER: identityHeader,
        NODE_EXTRA_CA_CERTS: certPath,
      }),
      secrets: () => {
        const out: Record<string, FakeSecretState> = {};
        for (const s of store.values()) {
          out[s.name] = {
            name: s.name,
            deleted: !!s.deleted,
            latest: latestOf(s).version,
            versions: s.versions.map((v) => ({
              version: v.version,
              value: v.value,
              ...(v.contentType !== undefined ? { contentType: v.contentType } : {}),
              ...(v.tags !== undefined ? { tags: { ...v.tags } } : {}),
              enabled: v.enabled,
              created: v.created,
              updated: v.updated,
            })),
          };
        }
        return out;
      },
      setSecret: (name, value, opts = {}) => {
        if (!NAME_PATTERN.test(name)) throw new Error(`invalid Key Vault secret name: ${name}`);
        if (store.get(name.toLowerCase())?.deleted) throw new Error(`secret ${name} is deleted`);
        return writeVersion(name, value, opts.contentType, opts.tags, {}).version.version;
      },
      failNext: (kind, pathPattern, times = 1) => {
        faults.push({ kind, pattern: pathPattern, remaining: times });
      },
      close: () => {
        closed ??= (async () => {
          server.closeAllConnections();
          await new Promise<void>((resolve) => server.close(() => resolve()));
          await identityServer.close();
          await rm(dir, { recursive: true, force: true });
        })();
        return closed;
      },
    };
  } catch (err) {
    // A half-started fake must not leave a listening socket or a temp dir behind.
    if (https?.listening) {
      https.closeAllConnections();
      https.close();
    }
    await identity?.close();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
