// The background sweep: renews, through the same single-renewal path, only what would lapse before the
// next run. A token with plenty of life left is never touched (Google's one-hour tokens would otherwise be
// refreshed on every run).
import { InvocationContext } from '@azure/functions';
import { ApiError } from '../http/errors';
import { connections } from '../stores/connectionStore';
import { tablesSdk } from '../stores/tables';
import { definitionOf } from './configurations';
import { counters } from './counters';
import { freshToken, needsRenewal } from './tokenLifecycle';

export const SWEEP_INTERVAL_MS = Number(process.env.SWEEP_INTERVAL_SECONDS ?? 900) * 1000;
const MARGIN_MS = 10 * 60 * 1000;
/** After a transient failure a connection is left alone this long before the sweep tries again. */
const BACKOFF_MS = 30 * 60 * 1000;

export interface SweepReport {
  examined: number;
  renewed: number;
  expired: number;
  failed: number;
}

export async function sweepConnections(
  invocation: InvocationContext,
  now = Date.now(),
): Promise<SweepReport> {
  const { odata } = await tablesSdk();
  const horizon = SWEEP_INTERVAL_MS + MARGIN_MS;
  const report: SweepReport = { examined: 0, renewed: 0, expired: 0, failed: 0 };
  for await (const { value } of connections.all(odata`status eq ${'active'}`)) {
    report.examined++;
    const def = definitionOf(value.connectorType);
    if (!needsRenewal(value, def, horizon, now)) continue;
    if (value.refreshFailedAt && now - Date.parse(value.refreshFailedAt) < BACKOFF_MS) continue;
    try {
      await freshToken(value.tenantId, value.id, { horizonMs: horizon });
      report.renewed++;
    } catch (err) {
      if (err instanceof ApiError && err.code === 'reconnect_required') report.expired++;
      else report.failed++;
    }
  }
  invocation.info(JSON.stringify({ event: 'sweep', ...report, counters }));
  return report;
}
