// Counters a person running the service wants to see: exposed on /health and written to the log by every
// sweep. They count since this process started, in this process only: with several instances, each
// reports its own (sum them in Application Insights from the sweep's log lines).
const STARTED_AT = new Date().toISOString();

/** What /health and the log show: only numbers and the start time, nothing about any tenant. */
export interface CounterSnapshot {
  /** Token renewals that succeeded (refresh, sweep, before a call). */
  refreshes: number;
  /** Token renewals that failed, for any reason (revoked grant, platform down, rejected app). */
  refresh_failures: number;
  /** Platform answers that were rate limits, passed on as 429 with Retry-After. */
  platform_rate_limits: number;
  /** When this process started counting. */
  since: string;
}

export const counters = {
  refreshes: 0,
  refreshFailures: 0,
  platformRateLimits: 0,
  /** The snapshot's shape wherever the counters are serialized, e.g. `JSON.stringify({ counters })`. */
  toJSON(): CounterSnapshot {
    return counterSnapshot();
  },
};

export function counterSnapshot(): CounterSnapshot {
  return {
    refreshes: counters.refreshes,
    refresh_failures: counters.refreshFailures,
    platform_rate_limits: counters.platformRateLimits,
    since: STARTED_AT,
  };
}
