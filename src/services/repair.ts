// Repair by the sweep: what a crash or a lost answer can leave behind, found and removed or reported.
// - Secret versions no record names (a PATCH cut between its secret write and its record write; a callback cut
//   after storing the token, which leaves a live platform token at rest): removed once older than
//   ORPHAN_SECRET_MIN_AGE_SECONDS, token bundles first. (Whole secrets without a record: see sweep.ts.)
// - PKCE verifiers older than their authorization's lifetime: their state is gone, so they are too.
// - `pending` connections whose authorization can no longer complete (no live state, older than twice the state
//   lifetime): marked `error` with `authorization_abandoned`, and announced.
// - Records whose secret version is missing from the store: reported (health and the sweep's line), left as
//   they are, since only a person can supply the secret again.
// It reads every record and secret, so it runs at most once per quarter of ORPHAN_SECRET_MIN_AGE_SECONDS (15
// minutes by default) per instance.
import { emitLifecycleEvent } from '../events/lifecycle';
import { secretStore } from '../secrets';
import { SecretKind, SecretRef, StoredVersion } from '../secrets/secretStore';
import { settings } from '../settings';
import { everyConfiguration } from '../stores/configurationStore';
import { ConnectionRecord, connections } from '../stores/connectionStore';
import { oauthStates } from '../stores/oauthStateStore';
import { tablesSdk } from '../stores/tables';

export interface RepairReport {
  /** When the repair ran (ISO). */
  at: string;
  /** Secret versions no record names, removed. */
  strayVersions: number;
  /** PKCE verifiers past their authorization's lifetime, removed. */
  staleVerifiers: number;
  /** Pending connections whose authorization can no longer complete, marked error. */
  abandoned: number;
  /** Records whose secret version is missing from the secret store. */
  secretMissing: number;
}

/** A record the repair needs to see: whose it is, which secret version it names. */
interface Owner {
  ref: SecretRef;
  secretVersion?: string;
}

const orphanAgeMs = () => Number(process.env.ORPHAN_SECRET_MIN_AGE_SECONDS ?? 3600) * 1000;
const stateTtlMs = () => Number(settings().env.OAUTH_STATE_TTL_SECONDS ?? 600) * 1000;
export const ABANDONED = 'authorization_abandoned';

let last: RepairReport | undefined;
let running: Promise<RepairReport | undefined> | undefined;

/** The last repair's findings in this instance (for /health), or undefined before the first. */
export const lastRepair = (): RepairReport | undefined => last;

const refKey = (ref: SecretRef) => `${ref.kind}/${ref.tenantId}/${ref.id}`;

async function owners(): Promise<Map<string, Owner>> {
  const out = new Map<string, Owner>();
  for await (const { value } of everyConfiguration()) {
    const ref: SecretRef = { tenantId: value.tenantId, kind: 'config', id: value.id };
    out.set(refKey(ref), { ref, secretVersion: value.secretVersion });
  }
  return out;
}

/** Pending connections past twice the state lifetime that no live state names: marked error, announced. */
async function markAbandoned(pending: ConnectionRecord[], now: number): Promise<number> {
  if (pending.length === 0) return 0;
  const { odata } = await tablesSdk();
  const live = new Set<string>();
  for await (const { value } of oauthStates.all(odata`expiresAt ge ${new Date(now).toISOString()}`))
    live.add(value.connectionId);
  let marked = 0;
  const minutes = Math.round(stateTtlMs() / 60000);
  const message = `The authorization was not completed within ${minutes} minutes (${ABANDONED}); start it again with POST /api/v1/connectors/oauth/{id}/reconnect.`;
  for (const record of pending) {
    if (live.has(record.id) || now - Date.parse(record.createdAt) < 2 * stateTtlMs()) continue;
    let changed = false;
    // Written directly under the ETag (not through updateConnection, which may announce on its own): this
    // write lands once across instances, and its event follows it.
    const updated = await connections.update(record.tenantId, record.id, (c) => {
      changed = c.status === 'pending';
      return changed
        ? { ...c, status: 'error', lastError: message, updatedAt: new Date().toISOString() }
        : undefined;
    });
    if (!updated || !changed) continue;
    marked++;
    await emitLifecycleEvent({
      tenantId: record.tenantId,
      type: 'connection.error',
      timestamp: updated.value.updatedAt,
      data: {
        connection_id: record.id,
        connector_type: record.connectorType,
        status: 'error',
        previous_status: 'pending',
        error: message,
      },
    });
  }
  return marked;
}

async function repairOnce(now: number, warn: (message: string) => void): Promise<RepairReport> {
  const report: RepairReport = {
    at: new Date(now).toISOString(),
    strayVersions: 0,
    staleVerifiers: 0,
    abandoned: 0,
    secretMissing: 0,
  };
  const store = secretStore();
  const byOwner = await owners();
  const pending: ConnectionRecord[] = [];
  for await (const { value } of connections.all(`PartitionKey ne ''`)) {
    const ref: SecretRef = { tenantId: value.tenantId, kind: 'connection', id: value.id };
    byOwner.set(refKey(ref), { ref, secretVersion: value.secretVersion });
    if (value.status === 'pending') pending.push(value);
  }

  const stored: StoredVersion[] = [];
  for await (const version of store.allVersions()) stored.push(version);
  const present = new Set(stored.map((v) => `${refKey(v.ref)}@${v.version}`));
  // Token bundles first: a stray one is a live platform token at rest.
  const order: Record<SecretKind, number> = { connection: 0, config: 1, state: 2, webhook: 3 };
  stored.sort((a, b) => order[a.ref.kind] - order[b.ref.kind]);
  const cutoff = now - orphanAgeMs();
  for (const { ref, version, writtenAt } of stored) {
    if (writtenAt.getTime() >= cutoff) continue; // its record may still be on its way
    if (ref.kind === 'webhook') continue; // a subscription's signing secret: the webhooks module's own
    if (ref.kind === 'state') {
      // A verifier serves one authorization, whose state has expired by now.
      if (now - writtenAt.getTime() > 2 * stateTtlMs()) {
        await store.delete(ref);
        report.staleVerifiers++;
      }
      continue;
    }
    const owner = byOwner.get(refKey(ref));
    // No record at all is the sweep's orphan purge; a record naming another version leaves this one stray.
    if (!owner || owner.secretVersion === version) continue;
    if (await store.deleteVersion(ref, version)) report.strayVersions++;
  }

  for (const owner of byOwner.values()) {
    if (!owner.secretVersion || present.has(`${refKey(owner.ref)}@${owner.secretVersion}`)) continue;
    // Key Vault lists current versions only: an older one named by a record is asked for directly.
    if (store.kind === 'key-vault' && (await store.get(owner.ref, owner.secretVersion))) continue;
    report.secretMissing++;
  }
  if (report.secretMissing > 0)
    warn(`sweep: ${report.secretMissing} record(s) name a secret version the secret store does not have`);

  report.abandoned = await markAbandoned(pending, now);
  return report;
}

/**
 * Runs the repair when the last one in this instance is older than a quarter of ORPHAN_SECRET_MIN_AGE_SECONDS
 * (or none ran yet); undefined otherwise. A failure (storage or the secret store down) is a warning, never a crash.
 */
export async function repairLeftovers(
  now: number,
  warn: (message: string) => void,
): Promise<RepairReport | undefined> {
  if (running) return undefined;
  if (last && now - Date.parse(last.at) < orphanAgeMs() / 4) return undefined;
  running = repairOnce(now, warn)
    .then((report) => (last = report))
    .catch((err: unknown) => {
      warn(`sweep: repair skipped, a dependency failed: ${err instanceof Error ? err.name : 'error'}`);
      return undefined;
    })
    .finally(() => {
      running = undefined;
    });
  return running;
}
