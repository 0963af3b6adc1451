// Unified reports: one `report` body answered by any type with the capability. The family's reporter talks
// to the platform; this is the shared part: checking the body against the type's mapping (unsupported → 400
// naming it), the account's time zone and currency, the date range in that zone, slices and paging (one
// platform page per answer, so memory stays bounded), the columns every row carries, derived metrics per
// row, and data.report.
import { validateReport } from '../platforms/registry/validation';
import { ConnectorType } from '../catalog/types';
import { OperationCall } from '../platforms/operations';
import {
  BaseMetric,
  Dimension,
  Increment,
  isBaseMetric,
  Metric,
  METRIC_INFO,
} from '../platforms/reporting/canonical';
import {
  addDays,
  bucketStart,
  dayCount,
  halve,
  isCalendarDay,
  mondayOf,
  presetRange,
  todayIn,
} from '../platforms/reporting/dates';
import { reporterOf } from '../platforms/registry/reporters';
import {
  CanonicalRow,
  FamilyReporter,
  ReportAccount,
  ReportPlan,
  ReportSlice,
} from '../platforms/reporting/types';
import { conflict, invalid, platformRefused } from '../shared/errors';

export interface ReportRequest {
  metrics: Metric[];
  dimensions?: Dimension[];
  date_range?: { start: string; end: string };
  date_preset?: string;
  time_increment?: Increment;
  account_id?: string;
  conversions?: Record<string, unknown>;
  limit?: number;
}

export interface ReportInfo {
  platform: ConnectorType;
  account_id: string;
  currency: string;
  time_zone: string;
  date_range: { start: string; end: string };
  time_increment: Increment;
  conversions: Record<string, unknown>;
  restatable_from: string | null;
  warnings: string[];
}

export interface ReportPage {
  rows: Array<Record<string, string | number | null>>;
  /** Where the next page starts; kept in the session, never shown. */
  cursor?: string;
  report: ReportInfo;
}

/** The report's position, kept in the session between pages. */
interface ReportCursor {
  a: ReportAccount;
  since: string;
  until: string;
  /** Slices still to read; the first is being read. */
  s: ReportSlice[];
  /** The platform's position in the first slice. */
  c?: string;
  /** Rows of the platform page at c already answered (when report.limit is smaller than the page). */
  o?: number;
}

/** Platform calls one answer may make before it answers with what it has and a cursor. */
const CALLS_PER_ANSWER = 24;
/** Slices that end are followed by the next one while an answer has fewer rows than this. */
const FILL_ROWS = 1_000;

function reporterFor(type: ConnectorType): FamilyReporter {
  const reporter = reporterOf(type);
  if (!reporter) {
    throw invalid(`${type} does not answer report queries; send a native query instead.`, {
      code: 'report_not_supported',
    });
  }
  return reporter;
}

/** The base metrics a report needs: those asked for and those its derived metrics are computed from. */
function baseMetrics(metrics: Metric[]): BaseMetric[] {
  const out = new Set<BaseMetric>();
  for (const m of metrics) {
    if (isBaseMetric(m)) out.add(m);
    else for (const b of METRIC_INFO[m].from ?? []) out.add(b);
  }
  return [...out];
}

/** Checks a report body for a type: 400 with the paths that are wrong, or naming what the type cannot give. */
export function checkReport(type: ConnectorType, body: unknown): ReportRequest {
  const reporter = reporterFor(type);
  const result = validateReport(type, body);
  if (!result?.valid) {
    throw invalid('The report is not valid.', { code: 'invalid_input', details: result?.errors ?? [] });
  }
  const request = body as ReportRequest;
  const { mapping } = reporter;
  const unsupported = [
    ...baseMetrics(request.metrics)
      .filter((m) => !mapping.metrics[m])
      .map((m) => `metric ${m}`),
    ...(request.dimensions ?? []).filter((d) => !mapping.dimensions[d]).map((d) => `dimension ${d}`),
  ];
  const refusal = unsupported.length ? undefined : reporter.check?.(request.dimensions ?? []);
  if (unsupported.length || refusal) {
    throw invalid(
      unsupported.length
        ? `${type} cannot report ${unsupported.join(', ')}; GET /v1/connectors/reporting/fields lists what each type gives.`
        : `${type}: ${refusal}`,
      { code: 'unsupported_field', details: unsupported.map((u) => ({ type, field: u })) },
    );
  }
  const range = request.date_range;
  if (range && (!isCalendarDay(range.start) || !isCalendarDay(range.end) || range.end < range.start)) {
    throw invalid('date_range must be two calendar days, start on or before end.', { code: 'invalid_input' });
  }
  return request;
}

function incrementOf(request: ReportRequest): Increment {
  return request.time_increment ?? ((request.dimensions ?? []).includes('date') ? 'day' : 'all');
}

function planOf(request: ReportRequest, reporter: FamilyReporter, account: ReportAccount): ReportPlan {
  return {
    account,
    metrics: baseMetrics(request.metrics),
    dimensions: (request.dimensions ?? []).filter((d) => d !== 'date'),
    conversions: { ...reporter.mapping.defaultConversions, ...(request.conversions ?? {}) },
    increment: incrementOf(request),
  };
}

/** The first page's position: the account, its dates and the slices the platform answers. */
async function start(
  call: OperationCall,
  reporter: FamilyReporter,
  request: ReportRequest,
): Promise<ReportCursor> {
  const account = await reporter.account(call, request.account_id);
  const zone = reporter.mapping.timeZone.fixed ?? account.timeZone;
  const today = todayIn(zone);
  const { since, until } = request.date_range
    ? { since: request.date_range.start, until: request.date_range.end }
    : presetRange(request.date_preset ?? 'last_7d', today);
  const earliest = addDays(today, -reporter.mapping.retentionDays);
  if (since < earliest) {
    throw invalid(
      `${reporter.mapping.type} keeps report figures for ${reporter.mapping.retentionDays} days: the earliest start is ${earliest}.`,
      { code: 'beyond_retention', details: { earliest } },
    );
  }
  const plan = planOf(request, reporter, account);
  return { a: account, since, until, s: reporter.slices(plan, since, until) };
}

function readCursor(raw: string): ReportCursor {
  try {
    const parsed = JSON.parse(raw) as ReportCursor;
    if (parsed && Array.isArray(parsed.s) && typeof parsed.since === 'string') return parsed;
  } catch {
    // fall through
  }
  throw conflict('The session’s cursor is not usable; run the report again.', { code: 'stale_cursor' });
}

const round = (n: number) => Math.round(n * 1e6) / 1e6;

function ratio(a: number | null | undefined, b: number | null | undefined, times = 1): number | null {
  if (a === null || a === undefined || b === null || b === undefined || b === 0) return null;
  return round((a * times) / b);
}

/** A metric computed from the row's own base metrics; null where it is undefined (no division by zero). */
function derived(m: Metric, row: CanonicalRow): number | null {
  const n = (k: BaseMetric) => {
    const v = row[k];
    return typeof v === 'number' ? v : null;
  };
  switch (m) {
    case 'ctr':
      return ratio(n('clicks'), n('impressions'));
    case 'cpc':
      return ratio(n('spend'), n('clicks'));
    case 'cpm':
      return ratio(n('spend'), n('impressions'), 1000);
    case 'cpa':
      return ratio(n('spend'), n('conversions'));
    case 'roas':
      return ratio(n('conversion_value'), n('spend'));
    default:
      return row[m] === undefined ? null : (row[m] as number | null);
  }
}

function outputRow(
  type: ConnectorType,
  request: ReportRequest,
  cursor: ReportCursor,
  native: CanonicalRow,
): Record<string, string | number | null> {
  const increment = incrementOf(request);
  const row: Record<string, string | number | null> = {
    platform: type,
    account_id: cursor.a.id,
    currency: cursor.a.currency,
  };
  if ((request.dimensions ?? []).includes('date') || increment !== 'all') {
    const day = typeof native.date === 'string' ? native.date : cursor.since;
    row.date = bucketStart(day, increment, cursor.since);
  }
  for (const [key, value] of Object.entries(native)) {
    if (key !== 'date' && key !== 'account_id' && !(key in METRIC_INFO)) row[key] = value;
  }
  for (const m of request.metrics) row[m] = derived(m, native);
  return row;
}

function infoOf(
  type: ConnectorType,
  reporter: FamilyReporter,
  request: ReportRequest,
  cursor: ReportCursor,
  warnings: string[],
): ReportInfo {
  const zone = reporter.mapping.timeZone.fixed ?? cursor.a.timeZone;
  const conversions = planOf(request, reporter, cursor.a).conversions;
  const days = reporter.restatementDays?.(conversions) ?? reporter.mapping.restatement.days;
  const firstOpen = addDays(todayIn(zone), -days);
  const increment = incrementOf(request);
  const notes = [...warnings];
  if (increment === 'week' && mondayOf(cursor.since) !== cursor.since) {
    notes.push(`The first week (from ${mondayOf(cursor.since)}) covers only ${cursor.since} onwards.`);
  }
  if (increment === 'week' && dayCount(mondayOf(cursor.until), cursor.until) < 7) {
    notes.push(`The last week (from ${mondayOf(cursor.until)}) covers only up to ${cursor.until}.`);
  }
  return {
    platform: type,
    account_id: cursor.a.id,
    currency: cursor.a.currency,
    time_zone: zone,
    date_range: { start: cursor.since, end: cursor.until },
    time_increment: increment,
    conversions,
    restatable_from: cursor.until < firstOpen ? null : cursor.since > firstOpen ? cursor.since : firstOpen,
    warnings: notes,
  };
}

/**
 * One page of a report: the rows of one platform page (fewer with report.limit), after skipping slices that
 * have none. Splits a slice the platform cannot answer whole.
 */
export async function reportPage(
  call: OperationCall,
  request: ReportRequest,
  rawCursor?: string,
): Promise<ReportPage> {
  const type = call.definition.type;
  const reporter = reporterFor(type);
  const cursor = rawCursor ? readCursor(rawCursor) : await start(call, reporter, request);
  const plan = planOf(request, reporter, cursor.a);
  const warnings: string[] = [];
  const rows: CanonicalRow[] = [];
  for (let calls = 0; cursor.s.length > 0 && calls < CALLS_PER_ANSWER; calls++) {
    const slice = cursor.s[0];
    const page = await reporter.page(call, plan, slice, cursor.c);
    warnings.push(...(page.warnings ?? []));
    if (page.split) {
      const halves = halve(slice.since, slice.until);
      if (!halves) {
        throw platformRefused(`${type} could not produce the report for ${slice.since}, even alone.`);
      }
      cursor.s.splice(0, 1, ...halves.map(([since, until]) => ({ ...slice, since, until })));
      cursor.c = undefined;
      continue;
    }
    const offset = cursor.o ?? 0;
    const fresh = page.rows.slice(offset);
    const room = (request.limit ?? Infinity) - rows.length;
    if (fresh.length > room) {
      // report.limit is smaller than the platform's page: the rest of this page comes next time.
      rows.push(...fresh.slice(0, room));
      cursor.o = offset + room;
      if (page.here) cursor.c = page.here;
      break;
    }
    rows.push(...fresh);
    cursor.o = undefined;
    if (page.cursor) {
      cursor.c = page.cursor;
      // One platform page per answer; an async job still running hands back its cursor rather than wait here.
      if (rows.length > 0 || page.warnings?.length) break;
    } else {
      cursor.s.shift();
      cursor.c = undefined;
      // Small slices (weeks, months) share an answer up to a thousand rows.
      if (rows.length >= (request.limit ?? FILL_ROWS)) break;
    }
  }
  return {
    rows: rows.map((r) => outputRow(type, request, cursor, r)),
    cursor: cursor.s.length > 0 ? JSON.stringify(cursor) : undefined,
    report: infoOf(type, reporter, request, cursor, warnings),
  };
}
