// One report over several connections: each connection runs it in its own session, a few at a time; the
// answer is one table (connection_id on every row), each connection's data.report, and the connections that
// failed with why. One failing does not fail the others. The cursor names each connection's session, so the
// next page asks every connection that has more for its next page: one platform page each, never the whole.
// Connections that finished their page read ahead (more pages, up to READ_AHEAD_ROWS each) while another is
// still on its page, or until the answer is READ_AHEAD_MS old: so the report over all of them takes about as
// long as its slowest connection alone, not the sum of each answer's slowest page, and an answer stays
// bounded (rows per connection, and time).
import { begin, runReport } from './operations';
import { reachingCaller } from './platformErrors';
import { checkReport, ReportInfo, ReportRequest } from './reports';
import { ReportsInput } from '../openapi/reports';
import { conflict, DomainError, invalid, PartError } from '../shared/errors';

/** Connections asked at once. */
const CONCURRENCY = 4;
/** Reading ahead stops once a connection's part of an answer holds this many rows. */
const READ_AHEAD_ROWS = 2_000;
/** Connections read ahead until an answer is this old, even when every first page is done. */
const READ_AHEAD_MS = 2_000;
const MAX_CONNECTIONS = 20;
const CURSOR_PREFIX = 'rpt_';

type Row = Record<string, string | number | null>;

interface ConnectionPage {
  connectionId: string;
  sessionId: string;
  rows: Row[];
  report: ReportInfo;
  more: boolean;
  /** The report caps each answer (report.limit): no reading ahead past it. */
  limited: boolean;
}

export interface CrossReport {
  rows: Row[];
  reports: Array<ReportInfo & { connection_id: string }>;
  /** The connections that failed and why (the handler lists them in the contract's terms). */
  failures: PartError[];
  next_cursor: string | null;
}

type Settled = { page: ConnectionPage } | { error: DomainError };

/**
 * Runs each connection's page, at most `limit` at a time, keeping their order. A worker with no connection
 * left to start reads ahead for one whose page is done and has more, while another connection's page is
 * still running (the answer was going to wait for it anyway) or the answer is younger than READ_AHEAD_MS.
 */
async function pagesOf(
  work: Array<() => Promise<ConnectionPage>>,
  limit: number,
  tenantId: string,
): Promise<Settled[]> {
  const out: Settled[] = new Array<Settled>(work.length);
  const started = Date.now();
  let next = 0;
  let running = 0;
  const reading = new Set<number>();
  const worker = async () => {
    while (next < work.length) {
      const i = next++;
      running++;
      out[i] = await work[i]().then(
        (page) => ({ page }),
        (err: unknown) => ({ error: asDomainError(err) }),
      );
      running--;
    }
    // Read ahead while any first page is still running, or the answer is young.
    for (;;) {
      const i = out.findIndex(
        (s, k) =>
          s !== undefined &&
          'page' in s &&
          s.page.more &&
          !s.page.limited &&
          s.page.rows.length < READ_AHEAD_ROWS &&
          !reading.has(k),
      );
      if (i < 0 || (running === 0 && Date.now() - started >= READ_AHEAD_MS)) return;
      const current = out[i] as { page: ConnectionPage };
      reading.add(i);
      try {
        const more = await nextPage(tenantId, current.page.connectionId, current.page.sessionId);
        out[i] = { page: { ...more, rows: [...current.page.rows, ...more.rows] } };
        reading.delete(i);
      } catch {
        // The connection's cursor stays where it was: the next answer asks for that page again and says why.
        // It reads no further ahead in this answer.
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, work.length) }, worker));
  return out;
}

/** A connection's failure of its own; anything else (our storage down) fails the whole request. */
function asDomainError(err: unknown): DomainError {
  if (err instanceof DomainError) return reachingCaller(err);
  throw err;
}

interface Target {
  id: string;
  accountId?: string;
}

async function firstPage(tenantId: string, target: Target, report: unknown): Promise<ConnectionPage> {
  const begun = await begin({ tenantId, connectionId: target.id });
  const asked = target.accountId ? { ...(report as object), account_id: target.accountId } : report;
  const request = checkReport(begun.definition.type, asked);
  const result = await runReport(begun, request, undefined);
  return {
    connectionId: begun.stored.value.id,
    sessionId: result.session.id,
    rows: result.data.rows,
    report: result.data.report,
    more: result.data.next_cursor !== null,
    limited: request.limit !== undefined,
  };
}

async function nextPage(tenantId: string, connectionId: string, sessionId: string): Promise<ConnectionPage> {
  const begun = await begin({ tenantId, connectionId, sessionId });
  const last = begun.session.lastQuery?.report;
  if (!last || !begun.session.platformCursor) {
    throw conflict('This report has no next page for the connection.', { code: 'stale_cursor' });
  }
  const request = last as unknown as ReportRequest;
  const result = await runReport(begun, request, begun.session.platformCursor);
  return {
    connectionId,
    sessionId,
    rows: result.data.rows,
    report: result.data.report,
    more: result.data.next_cursor !== null,
    limited: request.limit !== undefined,
  };
}

function encodeCursor(pages: ConnectionPage[]): string | null {
  const open = pages.filter((p) => p.more).map((p) => [p.connectionId, p.sessionId]);
  return open.length ? `${CURSOR_PREFIX}${Buffer.from(JSON.stringify(open)).toString('base64url')}` : null;
}

function decodeCursor(cursor: unknown): Array<[string, string]> {
  if (typeof cursor === 'string' && cursor.startsWith(CURSOR_PREFIX) && cursor.length < 16_384) {
    try {
      const pairs: unknown = JSON.parse(
        Buffer.from(cursor.slice(CURSOR_PREFIX.length), 'base64url').toString(),
      );
      if (
        Array.isArray(pairs) &&
        pairs.length > 0 &&
        pairs.length <= MAX_CONNECTIONS &&
        pairs.every((p) => Array.isArray(p) && p.length === 2 && p.every((s) => typeof s === 'string'))
      )
        return pairs as Array<[string, string]>;
    } catch {
      // fall through
    }
  }
  throw invalid('cursor is not a next_cursor of this route.', { code: 'invalid_cursor' });
}

/**
 * Each item is a connection id, or {id, account_id} to name the account the report runs on there (their shape
 * and number are the route contract's); each connection once.
 */
function connectionsOf(items: Array<string | { id: string; account_id?: string }>): Target[] {
  const targets = items.map(
    (item): Target => (typeof item === 'string' ? { id: item } : { id: item.id, accountId: item.account_id }),
  );
  if (new Set(targets.map((t) => t.id.toLowerCase())).size !== targets.length) {
    throw invalid('connections must list different connections.', { code: 'invalid_input' });
  }
  return targets;
}

/** The first page of a report over connections, or the next page of one (body {cursor}). */
export async function crossReport(tenantId: string, body: ReportsInput): Promise<CrossReport> {
  const resumed = body.cursor !== undefined ? decodeCursor(body.cursor) : undefined;
  const targets = body.connections !== undefined ? connectionsOf(body.connections) : [];
  const work: Array<() => Promise<ConnectionPage>> = resumed
    ? resumed.map(
        ([c, s]) =>
          () =>
            nextPage(tenantId, c, s),
      )
    : targets.map((c) => () => firstPage(tenantId, c, body.report));
  const ids = resumed ? resumed.map(([c]) => c) : targets.map((t) => t.id);
  const settled = await pagesOf(work, CONCURRENCY, tenantId);
  const pages: ConnectionPage[] = [];
  const failures: PartError[] = [];
  settled.forEach((s, i) => {
    if ('page' in s) pages.push(s.page);
    else failures.push({ connection_id: ids[i], error: s.error });
  });
  if (pages.length === 0) {
    throw new DomainError('all_failed', 'The report failed on every connection.', {
      code: 'report_failed',
      parts: failures,
    });
  }
  return {
    rows: pages.flatMap((p) => p.rows.map((r) => ({ connection_id: p.connectionId, ...r }))),
    reports: pages.map((p) => ({ connection_id: p.connectionId, ...p.report })),
    failures,
    next_cursor: encodeCursor(pages),
  };
}
