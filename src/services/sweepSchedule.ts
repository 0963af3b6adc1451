// The sweep's schedule from one setting, SWEEP_INTERVAL_SECONDS: the Functions timer's NCRONTAB schedule
// (computed when the functions are registered) and the interval the local host runs it at are the same.
// NCRONTAB can only say steps that divide a minute, an hour or a day evenly, so the interval is the largest
// such step not above the setting (900 → every 15 minutes, 1000 → also 15 minutes, 7200 → every 2 hours).

const DEFAULT_INTERVAL_SECONDS = 900;
const EVEN = [1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30];
const EVEN_HOURS = [1, 2, 3, 4, 6, 8, 12];

export interface SweepSchedule {
  /** NCRONTAB (with seconds) for the Functions host. */
  schedule: string;
  /** The same interval in ms, for the local host. */
  intervalMs: number;
}

const largest = (steps: number[], max: number) => steps.filter((s) => s <= max).pop() ?? steps[0];

/** SWEEP_INTERVAL_SECONDS when it is a positive number, else the default (a 0 or NaN would never pause). */
function requestedSeconds(raw: string | undefined): number {
  const seconds = raw === undefined || raw.trim() === '' ? NaN : Number(raw);
  return Number.isFinite(seconds) && seconds > 0 ? seconds : DEFAULT_INTERVAL_SECONDS;
}

export function sweepSchedule(raw: string | undefined = process.env.SWEEP_INTERVAL_SECONDS): SweepSchedule {
  const seconds = requestedSeconds(raw);
  if (seconds < 60) {
    const step = largest(EVEN, seconds);
    return { schedule: `*/${step} * * * * *`, intervalMs: step * 1000 };
  }
  if (seconds < 3600) {
    const step = largest(EVEN, seconds / 60);
    return { schedule: `0 */${step} * * * *`, intervalMs: step * 60_000 };
  }
  if (seconds < 86_400) {
    const step = largest(EVEN_HOURS, seconds / 3600);
    return { schedule: `0 0 */${step} * * *`, intervalMs: step * 3_600_000 };
  }
  return { schedule: '0 0 0 * * *', intervalMs: 86_400_000 };
}

/** The sweep's interval in ms (see sweepSchedule). */
export const sweepIntervalMs = (raw?: string): number => sweepSchedule(raw).intervalMs;
