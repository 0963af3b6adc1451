// Connector configurations: a tenant's app credentials for one platform. The record goes to Table Storage,
// its secret fields to the secret store, in an order that never leaves a record without its secret.
import { randomUUID } from 'node:crypto';
import { secretFieldsOf } from '../catalog/schema';
import { ConnectorDefinition } from '../catalog/types';
import { validateConfig } from '../platforms/registry/validation';
import { emitLifecycleEvent } from '../events/lifecycle';
import { families } from '../platforms/registry/families';
import { PlatformUnreachableError } from '../platformHttp/client';
import { PlatformAnswerError, runProbe } from '../platforms/verification';
import { secretStore } from '../secrets';
import { SecretRef } from '../secrets/secretStore';
import { settings } from '../settings';
import {
  CONFIG_STATUSES,
  ConfigurationRecord,
  deleteConfiguration,
  EtagMismatchError,
  InsertFailedError,
  insertConfiguration,
  listConfigurations,
  readConfiguration,
  updateConfigurationRecord,
  Stored,
} from '../stores/configurationStore';
import { ConfigurationInput, ConfigurationPatchInput } from '../openapi/configurations';
import { definitionOf, isRecordId } from './records';
import { encodeContinuation, listParameters, ListRequest } from './listing';
import { fieldsSetConfig, isMaskEcho, MASK, maskedConfig, maskSecret } from './masking';
import { DomainError, conflict, invalid, notFound, platformRefused, unavailable } from '../shared/errors';

export interface ConfigurationView {
  id: string;
  name: string;
  connector_type: string;
  status: string;
  config: Record<string, unknown>;
  last_verified_at: string | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
}

const refOf = (tenantId: string, id: string): SecretRef => ({ tenantId, kind: 'config', id });

function checkConfig(def: ConnectorDefinition, config: unknown): Record<string, unknown> {
  const result = validateConfig(def.type, config);
  if (!result.valid) {
    throw invalid(`The configuration is not valid for ${def.type}.`, {
      code: 'invalid_config',
      details: result.errors,
    });
  }
  return config as Record<string, unknown>;
}

/** Splits a validated configuration into table fields and secret-store fields. */
function split(def: ConnectorDefinition, config: Record<string, unknown>) {
  const secretNames = new Set(secretFieldsOf(def.configSchema));
  const publicConfig: Record<string, unknown> = {};
  const secrets: Record<string, string> = {};
  for (const [k, v] of Object.entries(config)) {
    if (secretNames.has(k)) secrets[k] = String(v);
    else publicConfig[k] = v;
  }
  return { publicConfig, secrets };
}

async function secretsOf(record: ConfigurationRecord): Promise<Record<string, string>> {
  if (!record.secretVersion) return {};
  const bundle = await secretStore().get(refOf(record.tenantId, record.id), record.secretVersion);
  if (!bundle) {
    throw unavailable("The configuration's secrets are missing from the secret store.", {
      code: 'secret_missing',
    });
  }
  return bundle;
}

/**
 * The table fields a response may show: a field the schema marks secret since the record was written (X's
 * api_key) is masked until the record's next single read moves it into the secret store (see migrated).
 */
function withoutNewSecrets(
  record: ConfigurationRecord,
  mask: (value: string) => string = maskSecret,
): Record<string, unknown> {
  const secret = new Set(secretFieldsOf(definitionOf(record.connectorType).configSchema));
  return Object.fromEntries(
    Object.entries(record.publicConfig).map(([k, v]) => [k, secret.has(k) ? mask(String(v)) : v]),
  );
}

/** The view of the single-record routes: each secret as its first and last 4 characters (see masking.ts). */
function viewOf(record: ConfigurationRecord, secrets: Record<string, string>): ConfigurationView {
  return {
    id: record.id,
    name: record.name,
    connector_type: record.connectorType,
    status: record.status,
    config: maskedConfig(withoutNewSecrets(record), secrets),
    last_verified_at: record.lastVerifiedAt ?? null,
    last_error: record.lastError ?? null,
    created_at: record.createdAt,
    updated_at: record.updatedAt,
  };
}

const detailOf = async (record: ConfigurationRecord) => viewOf(record, await secretsOf(record));

/**
 * The view in lists: which secret fields are set, each masked whole. A list reads no secret at all, so a page
 * costs the secret store nothing and one record with an unreadable secret cannot fail it.
 */
function listViewOf(record: ConfigurationRecord): ConfigurationView {
  return {
    ...viewOf(record, {}),
    config: fieldsSetConfig(
      withoutNewSecrets(record, () => MASK),
      record.secretFields,
    ),
  };
}

async function load(tenantId: string, id: string): Promise<Stored<ConfigurationRecord>> {
  const stored = isRecordId(id) ? await readConfiguration(tenantId, id.toLowerCase()) : undefined;
  if (!stored) throw notFound('No connector configuration with this id.');
  return migrated(stored);
}

/** Table fields the schema has made secret since the record was written (X's api_key). */
function strayedSecrets(record: ConfigurationRecord): string[] {
  const secret = new Set(secretFieldsOf(definitionOf(record.connectorType).configSchema));
  return Object.keys(record.publicConfig).filter((k) => secret.has(k));
}

/**
 * A record written before a field became secret, with that field moved into the secret store: a new secret
 * version holding it beside the others, then the record without it (under its ETag), then the old version pruned.
 * Same values, same status. Best effort: if storage fails, the record stays as it was (the field masked).
 */
async function migrated(stored: Stored<ConfigurationRecord>): Promise<Stored<ConfigurationRecord>> {
  if (strayedSecrets(stored.value).length === 0) return stored;
  const store = secretStore();
  const { tenantId, id } = stored.value;
  let written: string | undefined;
  try {
    const updated = await updateConfigurationRecord(
      tenantId,
      id,
      async (record) => {
        // A version written by an attempt that lost the race is an orphan (the repair sweep removes it).
        written = undefined;
        const strayed = strayedSecrets(record);
        if (strayed.length === 0) return undefined;
        const secrets = { ...(await secretsOf(record)) };
        const publicConfig = { ...record.publicConfig };
        for (const k of strayed) {
          secrets[k] = String(publicConfig[k]);
          delete publicConfig[k];
        }
        written = await store.put(refOf(tenantId, id), secrets);
        return { ...record, publicConfig, secretFields: Object.keys(secrets), secretVersion: written };
      },
      { known: stored },
    );
    forgetResolved(tenantId, id);
    if (written && updated?.value.secretVersion === written) {
      await store.prune(refOf(tenantId, id), written).catch(() => undefined);
    }
    return updated ?? stored;
  } catch {
    return stored;
  }
}

/** Its shape was checked against the route's contract; what is left here is the type's own schema. */
export async function createConfiguration(tenantId: string, body: ConfigurationInput) {
  const name = body.name.trim();
  const def = definitionOf(body.connector_type);
  const { publicConfig, secrets } = split(def, checkConfig(def, body.config));
  const id = randomUUID();
  const now = new Date().toISOString();
  const store = secretStore();
  const ref = refOf(tenantId, id);
  const secretVersion = Object.keys(secrets).length > 0 ? await store.put(ref, secrets) : undefined;
  const record: ConfigurationRecord = {
    tenantId,
    id,
    name,
    connectorType: def.type,
    status: 'pending_setup',
    publicConfig,
    secretVersion,
    secretFields: Object.keys(secrets),
    createdAt: now,
    updatedAt: now,
  };
  let etag: string;
  try {
    etag = await insertConfiguration(record);
  } catch (err) {
    // Only a record known to be absent gives its secret back: one that may have landed keeps it (the sweep
    // removes a secret that still has no record once it is ORPHAN_SECRET_MIN_AGE_SECONDS old).
    if (secretVersion && err instanceof InsertFailedError && err.absent) {
      await store.delete(ref).catch(() => undefined);
    }
    throw err;
  }
  return { view: viewOf(record, secrets), etag };
}

export async function getConfiguration(tenantId: string, id: string) {
  const { value, etag } = await load(tenantId, id);
  return { view: await detailOf(value), etag };
}

export async function listTenantConfigurations(tenantId: string, request: ListRequest) {
  const { connectorType, status, limit, token } = listParameters(request, CONFIG_STATUSES);
  const page = await listConfigurations(tenantId, { connectorType, status }, limit, token);
  return {
    views: page.records.map(listViewOf),
    unreadable: page.unreadable.map((r) => r.rowKey),
    continuationToken: encodeContinuation(page.continuationToken),
  };
}

/** Applies a PATCH to the stored state; pure, so a retry after a concurrent write re-applies it. */
function applyPatch(
  def: ConnectorDefinition,
  record: ConfigurationRecord,
  storedSecrets: Record<string, string>,
  patch: ConfigurationPatchInput,
) {
  const next: ConfigurationRecord = { ...record };
  if (patch.name !== undefined) next.name = patch.name.trim();
  let secrets = storedSecrets;
  let configChanged = false;
  if (patch.config !== undefined) {
    const merged: Record<string, unknown> = { ...record.publicConfig, ...storedSecrets };
    for (const [k, v] of Object.entries(patch.config)) {
      if (v === null) delete merged[k];
      else if (typeof v === 'string' && isMaskEcho(v, storedSecrets[k])) continue;
      else merged[k] = v;
    }
    const parts = split(def, checkConfig(def, merged));
    configChanged =
      JSON.stringify(parts.publicConfig) !== JSON.stringify(record.publicConfig) ||
      JSON.stringify(parts.secrets) !== JSON.stringify(storedSecrets);
    next.publicConfig = parts.publicConfig;
    next.secretFields = Object.keys(parts.secrets);
    secrets = parts.secrets;
  }
  if (configChanged) {
    // New credentials have not been proven yet.
    next.status = 'pending_setup';
    next.lastError = undefined;
  }
  if (patch.status !== undefined) {
    // Only active or inactive (the contract's enum): pending_setup and error are the service's verdicts.
    next.status = patch.status;
  }
  const secretsChanged = JSON.stringify(secrets) !== JSON.stringify(storedSecrets);
  return { next, secrets, secretsChanged };
}

const preconditionFailed = () =>
  new DomainError(
    'precondition_failed',
    'The configuration has changed since you read it (ETag mismatch); read it again.',
  );

export async function updateConfiguration(
  tenantId: string,
  id: string,
  patch: ConfigurationPatchInput,
  ifMatch?: string,
) {
  const store = secretStore();
  const first = await load(tenantId, id);
  // With If-Match the client's read is the only one that counts: one attempt, and a lost race is a 412.
  const conditional = ifMatch !== undefined && ifMatch !== '*';
  if (conditional && ifMatch !== first.etag) throw preconditionFailed();
  let written: string | undefined;
  let updated;
  try {
    updated = await updateConfigurationRecord(
      tenantId,
      first.value.id,
      async (record) => {
        const storedSecrets = await secretsOf(record);
        const { next, secrets, secretsChanged } = applyPatch(
          definitionOf(record.connectorType),
          record,
          storedSecrets,
          patch,
        );
        next.updatedAt = new Date().toISOString();
        // A new secret version first: until the record points at it, the old version stays in use.
        if (secretsChanged) {
          next.secretVersion =
            Object.keys(secrets).length > 0
              ? await store.put(refOf(tenantId, record.id), secrets)
              : undefined;
        }
        written = secretsChanged ? next.secretVersion : undefined;
        return next;
      },
      { known: first, attempts: conditional ? 1 : undefined },
    );
  } catch (err) {
    if (conditional && err instanceof EtagMismatchError) throw preconditionFailed();
    throw err;
  }
  if (!updated) throw notFound('No connector configuration with this id.');
  forgetResolved(tenantId, updated.value.id);
  if (written) await store.prune(refOf(tenantId, updated.value.id), written).catch(() => undefined);
  return { view: await detailOf(updated.value), etag: updated.etag };
}

export async function removeConfiguration(tenantId: string, id: string): Promise<void> {
  const key = isRecordId(id) ? id.toLowerCase() : undefined;
  const deleted = key ? await deleteConfiguration(tenantId, key) : false;
  if (key) forgetResolved(tenantId, key);
  // The secret goes after the record; a retry of a delete whose secret removal failed finishes the job.
  if (key) await secretStore().delete(refOf(tenantId, key));
  if (!deleted) throw notFound('No connector configuration with this id.');
}

type Resolved = {
  record: ConfigurationRecord;
  definition: ConnectorDefinition;
  config: Record<string, string>;
};

/**
 * Resolved configurations, kept a few seconds: every operation call resolves its connection's app, and a
 * table read each time would cost more than the platform call. Writes in this instance drop the entry;
 * another instance's change is seen within RESOLVED_TTL_MS.
 */
const resolvedCache = new Map<string, { value: Resolved; expiresAt: number }>();
const RESOLVED_TTL_MS = 10_000;
const forgetResolved = (tenantId: string, id: string) =>
  resolvedCache.delete(`${tenantId}/${id.toLowerCase()}`);

/** The decrypted configuration, for the OAuth engine and the platform clients. */
export async function resolveConfiguration(tenantId: string, id: string): Promise<Resolved> {
  const key = `${tenantId}/${id.toLowerCase()}`;
  const hit = resolvedCache.get(key);
  if (hit && hit.expiresAt > Date.now()) return hit.value;
  const { value } = await load(tenantId, id);
  const secrets = await secretsOf(value);
  const config: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...value.publicConfig, ...secrets })) config[k] = String(v);
  const resolved = { record: value, definition: definitionOf(value.connectorType), config };
  if (resolvedCache.size > 1000) resolvedCache.clear();
  resolvedCache.set(key, { value: resolved, expiresAt: Date.now() + RESOLVED_TTL_MS });
  return resolved;
}

export function oauthRedirectUri(): string {
  return `${settings().publicBaseUrl}/api/v1/connectors/oauth/callback`;
}

export async function verifyConfiguration(tenantId: string, id: string) {
  const { record, definition, config } = await resolveConfiguration(tenantId, id);
  let verdict;
  try {
    verdict = await runProbe(families[definition.family].appProbe, definition, config, oauthRedirectUri());
  } catch (err) {
    if (err instanceof PlatformUnreachableError) {
      throw new DomainError(
        'platform_unreachable',
        `${definition.name} could not be reached to verify the credentials: ${err.message}`,
      );
    }
    if (err instanceof PlatformAnswerError) throw platformRefused(err.message);
    throw err;
  }
  const now = new Date().toISOString();
  let previousStatus = record.status;
  const updated = await updateConfigurationRecord(tenantId, record.id, async (current) => {
    // The verdict is about the credentials read above: a change in between makes it meaningless.
    if (
      current.secretVersion !== record.secretVersion ||
      JSON.stringify(current.publicConfig) !== JSON.stringify(record.publicConfig)
    ) {
      throw conflict('The configuration changed while it was being verified; verify it again.');
    }
    previousStatus = current.status;
    return {
      ...current,
      status: verdict.ok ? (current.status === 'inactive' ? 'inactive' : 'active') : 'error',
      lastError: verdict.ok ? undefined : verdict.reason,
      lastVerifiedAt: now,
      updatedAt: now,
    };
  });
  if (!updated) throw notFound('No connector configuration with this id.');
  forgetResolved(tenantId, record.id);
  // Every verification is announced, with its verdict: the client asked for it, whether the status moved or not.
  await emitLifecycleEvent({
    tenantId,
    type: verdict.ok ? 'configuration.verified' : 'configuration.error',
    timestamp: now,
    data: {
      configuration_id: record.id,
      connector_type: definition.type,
      status: updated.value.status,
      previous_status: previousStatus,
      ...(verdict.ok ? {} : { error: verdict.reason }),
    },
  });
  return { view: await detailOf(updated.value), etag: updated.etag, verified: verdict.ok };
}
