// The background sweep keeps grants alive and says when they end, reading only what is due (the due index,
// services/dueIndex.ts). Access tokens are renewed on use, never here. A grant the sweep can extend (a rotating
// refresh token, Google's idle limit) is renewed a week before its end; one it cannot extend is announced
// (`reconnect_needed`, once) a week before its end and marked `expired` at it. A connection nobody uses costs
// one platform call per extension (about every six months), none otherwise.
import { InvocationContext } from '@azure/functions';
import { findDefinition } from '../platforms/registry/definitions';
import { DomainError } from '../shared/errors';
import { secretStore } from '../secrets';
import { SecretKeyMismatchError, SecretStoreUnavailableError } from '../secrets/secretStore';
import { describeFailure, isDependencyFailure } from '../stores/failures';
import { readConfiguration } from '../stores/configurationStore';
import { ConnectionRecord, connections } from '../stores/connectionStore';
import { DueEntry, dueIndex } from '../stores/dueIndexStore';
import { oauthStates, statePartition } from '../stores/oauthStateStore';
import { Stored } from '../stores/recordTable';
import { sessions } from '../stores/sessionStore';
import { tablesSdk } from '../stores/tables';
import { updateConnection } from './connectionRecords';
import { verifierRef } from './connections';
import { counters } from './counters';
import { RepairReport, repairLeftovers } from './repair';
import { removeEntry } from './dueIndex';
import { NOTICE_MS, renewalExtendsGrant } from './grantSchedule';
import { freshToken } from './tokenLifecycle';
import { backfillGrantEnds } from './sweepBackfill';
import { runBounded } from './workPool';

/** Due entries read per page; the sweep goes on page by page until nothing due is left. */
const PAGE = 500;
/** Work in flight at once, and per platform family (its token endpoint). */
const CONCURRENCY = 32;
const PER_FAMILY: Record<string, number> = { google: 16 };
const PER_FAMILY_DEFAULT = 8;
/** A renewal failure that comes from the platform's answer (or its silence), so a call was made. */
const platformAnswered = (err: unknown): boolean =>
  err instanceof DomainError && (err.kind === 'reconnect_required' || err.kind === 'platform_refused');

export interface SweepReport {
  /** Due-index entries read. */
  due: number;
  /** Table entities read by the run: due entries and the connection records they name. */
  entitiesRead: number;
  /** Calls to platforms (token endpoints) the run made. */
  platformCalls: number;
  renewed: number;
  /** Connections marked `expired`: their grant ended, or the platform refused it. */
  expired: number;
  /** `reconnect_needed` announced. */
  noticed: number;
  failed: number;
  /** Due entries no record names any more, removed. */
  stale: number;
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

/** The sweep's own writes: its decisions at `now`, and the due time moved on (without touching updated_at). */
function rescheduled(
  stored: Stored<ConnectionRecord>,
  now: number,
  change: (c: ConnectionRecord) => ConnectionRecord | undefined = (c) => c,
) {
  const { tenantId, id } = stored.value;
  return updateConnection(tenantId, id, change, { sweptAt: now, known: stored });
}

/** Looks at one due connection: expires, announces, renews or only reschedules it. */
async function handleDue(stored: Stored<ConnectionRecord>, now: number, report: SweepReport) {
  const record = stored.value;
  const def = findDefinition(record.connectorType);
  const end = record.reconnectBy ? Date.parse(record.reconnectBy) : undefined;
  if (!def || end === undefined) {
    await rescheduled(stored, now);
    return;
  }
  if (end <= now) {
    const ended = `The grant ended at ${record.reconnectBy}; reconnect the account to restore access.`;
    const { value } = await rescheduled(stored, now, (c) =>
      c.status === 'active' && c.reconnectBy === record.reconnectBy
        ? { ...c, status: 'expired', lastError: ended }
        : c,
    );
    if (value.status === 'expired' && value.lastError === ended) report.expired++;
    return;
  }
  if (now < end - NOTICE_MS) {
    await rescheduled(stored, now); // an early visit (a writer moved it earlier): nothing to do yet
    return;
  }
  if (!renewalExtendsGrant(def, record)) {
    // Announced once per grant: the write that sets the marker is the one that announces it.
    await rescheduled(stored, now, (c) =>
      c.reconnectBy === record.reconnectBy && c.reconnectNoticeFor !== c.reconnectBy
        ? { ...c, reconnectNoticeFor: c.reconnectBy }
        : c,
    );
    report.noticed++;
    return;
  }
  try {
    const { record: after } = await freshToken(record.tenantId, record.id, { force: true, current: stored });
    // Another instance may have renewed it a moment ago, without a call from here.
    if (after.lastRefreshedAt !== record.lastRefreshedAt) {
      report.renewed++;
      report.platformCalls++;
    }
  } catch (err) {
    if (platformAnswered(err)) report.platformCalls++;
    if (err instanceof DomainError && err.kind === 'reconnect_required') report.expired++;
    else report.failed++;
  }
  const latest = await connections.read(record.tenantId, record.id);
  if (latest) await rescheduled(latest, now);
}

/** One due entry: its record (one read), or a stale entry removed. */
async function recordOf(entry: DueEntry, report: SweepReport) {
  report.entitiesRead++;
  const stored = await connections.read(entry.tenantId, entry.connectionId);
  if (stored?.value.dueAt === entry.dueAt) return stored;
  // The record moved on (or is gone) and a crash left its old entry: remove it.
  await removeEntry(entry);
  report.stale++;
  return undefined;
}

async function sweepDue(now: number, report: SweepReport) {
  const { odata } = await tablesSdk();
  const nowIso = new Date(now).toISOString();
  // Every entry due by now, and nothing else: days up to today, times up to now.
  const filter = odata`PartitionKey le ${nowIso.slice(0, 10)} and RowKey le ${`${nowIso}|~`}`;
  const handled = new Set<string>();
  let token: string | undefined;
  do {
    const page = await dueIndex.page(filter, PAGE, token);
    token = page.continuationToken;
    const entries = page.records.filter((e) => !handled.has(`${e.tenantId}/${e.connectionId}`));
    report.due += page.records.length;
    report.entitiesRead += page.records.length;
    const due: Array<Stored<ConnectionRecord>> = [];
    await runBounded(
      entries,
      { total: CONCURRENCY, perGroup: () => CONCURRENCY, groupOf: () => 'storage' },
      async (entry) => {
        handled.add(`${entry.tenantId}/${entry.connectionId}`);
        const stored = await recordOf(entry, report).catch(() => undefined);
        if (stored) due.push(stored);
      },
    );
    await runBounded(
      due,
      {
        total: CONCURRENCY,
        perGroup: (family) => PER_FAMILY[family] ?? PER_FAMILY_DEFAULT,
        groupOf: (s) => findDefinition(s.value.connectorType)?.family ?? 'unknown',
      },
      (stored) =>
        handleDue(stored, now, report).catch(() => {
          report.failed++;
        }),
    );
  } while (token);
}

export async function sweepConnections(
  invocation: InvocationContext,
  now = Date.now(),
): Promise<SweepReport> {
  const report: SweepReport = {
    due: 0,
    entitiesRead: 0,
    platformCalls: 0,
    renewed: 0,
    expired: 0,
    noticed: 0,
    failed: 0,
    stale: 0,
    purged: { states: 0, sessions: 0, secrets: 0 },
  };
  report.entitiesRead += await backfillGrantEnds().catch(() => 0);
  await sweepDue(now, report).catch((err: unknown) => {
    report.failed++;
    invocation.warn(`sweep: reading the due index failed: ${err instanceof Error ? err.name : 'error'}`);
  });
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
