// The background sweep: renews, through the same single-renewal path, only what would lapse before the
// next run. A token with plenty of life left is never touched (Google's one-hour tokens would otherwise be
// refreshed on every run).
import { InvocationContext } from '@azure/functions';
import { ApiError } from '../http/errors';
import { secretStore } from '../secrets';
import { SecretKeyMismatchError, SecretStoreUnavailableError } from '../secrets/secretStore';
import { describeFailure, isDependencyFailure } from '../stores/failures';
import { readConfiguration } from '../stores/configurationStore';
import { connections } from '../stores/connectionStore';
import { oauthStates, statePartition } from '../stores/oauthStateStore';
import { sessions } from '../stores/sessionStore';
import { tablesSdk } from '../stores/tables';
import { definitionOf } from './records';
import { verifierRef } from './connections';
import { counters } from './counters';
import { RepairReport, repairLeftovers } from './repair';
import { freshToken, needsRenewal } from './tokenLifecycle';

const DEFAULT_INTERVAL_SECONDS = 900;
/** setInterval's ceiling (about 24.8 days); a longer delay would make Node run the timer every millisecond. */
const MAX_INTERVAL_MS = 2 ** 31 - 1;

/**
 * SWEEP_INTERVAL_SECONDS when it is a positive number, else the default: an empty, zero or non-numeric
 * value would otherwise make a 0 or NaN interval, which runs the sweep without pause.
 */
export function sweepIntervalMs(raw: string | undefined = process.env.SWEEP_INTERVAL_SECONDS): number {
  const seconds = raw === undefined || raw.trim() === '' ? NaN : Number(raw);
  return Math.min(
    (Number.isFinite(seconds) && seconds > 0 ? seconds : DEFAULT_INTERVAL_SECONDS) * 1000,
    MAX_INTERVAL_MS,
  );
}

export const SWEEP_INTERVAL_MS = sweepIntervalMs();
const MARGIN_MS = 10 * 60 * 1000;
/** After a transient failure a connection is left alone this long before the sweep tries again. */
const BACKOFF_MS = 30 * 60 * 1000;

export interface SweepReport {
  examined: number;
  renewed: number;
  expired: number;
  failed: number;
  /** Removed: authorizations never completed (state and PKCE verifier), idle sessions, secrets whose record never landed. */
  purged: { states: number; sessions: number; secrets: number };
  /** What the repair found this run (services/repair.ts); absent when it did not run. */
  repair?: RepairReport;
}

/** How old a secret without a record must be before the sweep removes it: its record may still be on its way. */
const orphanAgeMs = () => Number(process.env.ORPHAN_SECRET_MIN_AGE_SECONDS ?? 3600) * 1000;

/**
 * Secrets whose configuration or connection does not exist: left when a record write failed and so did the
 * removal of the secret written before it, which a retry (with a new id) would never clean up.
 */
async function purgeOrphanSecrets(now: number): Promise<number> {
  let removed = 0;
  const store = secretStore();
  for await (const ref of store.written(new Date(now - orphanAgeMs()))) {
    if (ref.kind === 'state') continue; // states have their own expiry, above
    const record =
      ref.kind === 'config'
        ? await readConfiguration(ref.tenantId, ref.id)
        : await connections.read(ref.tenantId, ref.id);
    if (record) continue;
    await store.delete(ref);
    removed++;
  }
  return removed;
}

/** Removes what outlived its use: OAuth states past their 10 minutes (with their verifiers) and idle sessions. */
async function purgeExpired(now: number): Promise<SweepReport['purged']> {
  const { odata } = await tablesSdk();
  const cutoff = new Date(now).toISOString();
  const purged = { states: 0, sessions: 0, secrets: 0 };
  for await (const { value, etag } of oauthStates.all(odata`expiresAt lt ${cutoff}`)) {
    // By ETag: a callback consuming the state at this moment wins, and nothing is deleted twice.
    if (await oauthStates.delete(statePartition(value.key), value.key, etag).catch(() => false)) {
      purged.states++;
      await secretStore()
        .delete(verifierRef(value.tenantId, value.key))
        .catch(() => undefined);
    }
  }
  for await (const { value, etag } of sessions.all(odata`expiresAt lt ${cutoff}`)) {
    if (await sessions.delete(value.tenantId, value.id, etag).catch(() => false)) purged.sessions++;
  }
  purged.secrets = await purgeOrphanSecrets(now);
  return purged;
}

export async function sweepConnections(
  invocation: InvocationContext,
  now = Date.now(),
): Promise<SweepReport> {
  const { odata } = await tablesSdk();
  const horizon = SWEEP_INTERVAL_MS + MARGIN_MS;
  const report: SweepReport = {
    examined: 0,
    renewed: 0,
    expired: 0,
    failed: 0,
    purged: { states: 0, sessions: 0, secrets: 0 },
  };
  for await (const { value } of connections.all(odata`status eq ${'active'}`)) {
    report.examined++;
    const def = definitionOf(value.connectorType);
    if (!needsRenewal(value, def, horizon, now)) continue;
    if (value.refreshFailedAt && now - Date.parse(value.refreshFailedAt) < BACKOFF_MS) continue;
    try {
      const { record } = await freshToken(value.tenantId, value.id, { horizonMs: horizon });
      // Another request may have renewed it first, in which case there was nothing left to do.
      if (record.lastRefreshedAt !== value.lastRefreshedAt) report.renewed++;
    } catch (err) {
      if (err instanceof ApiError && err.code === 'reconnect_required') report.expired++;
      else report.failed++;
    }
  }
  report.purged = await purgeExpired(now).catch((err: unknown) => {
    invocation.warn(
      `sweep: purging expired states and sessions failed: ${err instanceof Error ? err.name : 'error'}`,
    );
    return report.purged;
  });
  report.repair = await repairLeftovers(now, (m) => invocation.warn(m));
  invocation.info(JSON.stringify({ event: 'sweep', ...report, counters }));
  return report;
}

/**
 * A run stopped by storage or the secret store being down is a warning, without a stack: the next run tries
 * again. Anything else is a bug and is thrown on.
 */
export function warnOfOutage(invocation: InvocationContext, err: unknown): void {
  const secrets = err instanceof SecretStoreUnavailableError || err instanceof SecretKeyMismatchError;
  if (!secrets && !isDependencyFailure(err)) throw err;
  invocation.warn(
    `sweep: stopped, a dependency is unavailable (${describeFailure(err)}); the next run tries again`,
  );
}
