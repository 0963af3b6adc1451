// Calendar days as YYYY-MM-DD strings: the arithmetic reports need (buckets, slices, presets), in whole
// days so no time zone can shift a date. "Today" is the only moment read, in the account's zone.
import { Increment } from './canonical';

const DAY_MS = 86_400_000;

const toMs = (day: string) => Date.parse(`${day}T00:00:00Z`);
const fromMs = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export function isCalendarDay(day: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(day) && fromMs(toMs(day)) === day;
}

export const addDays = (day: string, n: number) => fromMs(toMs(day) + n * DAY_MS);

/** Days from since to until, both included. */
export const dayCount = (since: string, until: string) =>
  Math.round((toMs(until) - toMs(since)) / DAY_MS) + 1;

/** Monday of the ISO week the day is in. */
export function mondayOf(day: string): string {
  const weekday = (new Date(toMs(day)).getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
  return addDays(day, -weekday);
}

export const monthOf = (day: string) => `${day.slice(0, 8)}01`;

/** The first day of the bucket a day falls in; `all` buckets start at the range's start. */
export function bucketStart(day: string, increment: Increment, since: string): string {
  if (increment === 'week') return mondayOf(day);
  if (increment === 'month') return monthOf(day);
  if (increment === 'all') return since;
  return day;
}

/** Today's date in an IANA time zone. */
export function todayIn(timeZone: string, nowMs: number = Date.now()): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(new Date(nowMs));
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}`;
}

export const DATE_PRESETS = [
  'today',
  'yesterday',
  'last_7d',
  'last_14d',
  'last_28d',
  'last_30d',
  'last_90d',
  'this_month',
  'last_month',
] as const;

/** A preset's range, as the platforms define them: last_Nd is the N days before today. */
export function presetRange(preset: string, today: string): { since: string; until: string } {
  const last = /^last_(\d+)d$/.exec(preset);
  if (last) return { since: addDays(today, -Number(last[1])), until: addDays(today, -1) };
  switch (preset) {
    case 'today':
      return { since: today, until: today };
    case 'yesterday':
      return { since: addDays(today, -1), until: addDays(today, -1) };
    case 'this_month':
      return { since: monthOf(today), until: today };
    default: {
      // last_month
      const end = addDays(monthOf(today), -1);
      return { since: monthOf(end), until: end };
    }
  }
}

/**
 * Days a daily report asks a platform for at once when the platform itself sets no shorter limit: an answer
 * then holds at most this many days of rows per entity, however long the range (memory stays flat).
 */
export const DAILY_SLICE_DAYS = 30;

/** The range cut into pieces of at most maxDays, in order. */
export function chunkRange(since: string, until: string, maxDays: number): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let start = since; start <= until; start = addDays(start, maxDays)) {
    const end = addDays(start, maxDays - 1);
    out.push([start, end < until ? end : until]);
  }
  return out;
}

/** Weeks from Monday to Sunday, the first and last clipped to the range. */
export function weeksOf(since: string, until: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let start = since; start <= until; start = addDays(mondayOf(start), 7)) {
    const sunday = addDays(mondayOf(start), 6);
    out.push([start, sunday < until ? sunday : until]);
  }
  return out;
}

/** The range halved by date (for a slice the platform cannot answer whole); undefined for a single day. */
export function halve(since: string, until: string): Array<[string, string]> | undefined {
  const days = dayCount(since, until);
  if (days < 2) return undefined;
  const mid = addDays(since, Math.floor(days / 2) - 1);
  return [
    [since, mid],
    [addDays(mid, 1), until],
  ];
}

/** Calendar months, the first and last clipped to the range. */
export function monthsOf(since: string, until: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let start = since; start <= until; ) {
    const next = monthOf(addDays(monthOf(start), 31)); // the 1st of the next month
    const last = addDays(next, -1);
    out.push([start, last < until ? last : until]);
    start = next;
  }
  return out;
}
