// One report over several connections: each connection runs it in its own session, a few at a time; the
// answer is one table (connection_id on every row), each connection's data.report, and the connections that
// failed with why. One failing does not fail the others. The cursor names each connection's session, so the
// next page asks every connection that has more for its next page: one platform page each, never the whole.
import { begin, runReport } from './operations';
import { reachingCaller } from './platformErrors';
import { checkReport, ReportInfo, ReportRequest } from './reports';
import { ReportsInput } from '../openapi/reports';
import { conflict, DomainError, invalid, PartError } from '../shared/errors';

/** Connections asked at once. */
const CONCURRENCY = 4;
const MAX_CONNECTIONS = 20;
const CURSOR_PREFIX = 'rpt_';

type Row = Record<string, string | number | null>;

interface ConnectionPage {
  connectionId: string;
  sessionId: string;
  rows: Row[];
  report: ReportInfo;
  more: boolean;
}

export interface CrossReport {
  rows: Row[];
  reports: Array<ReportInfo & { connection_id: string }>;
  /** The connections that failed and why (the handler lists them in the contract's terms). */
  failures: PartError[];
  next_cursor: string | null;
}

/** Runs fn over items, at most `limit` at a time, keeping their order. */
async function bounded<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
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
  const result = await runReport(begun, checkReport(begun.definition.type, asked), undefined);
  return {
    connectionId: begun.stored.value.id,
    sessionId: result.session.id,
    rows: result.data.rows,
    report: result.data.report,
    more: result.data.next_cursor !== null,
  };
}

async function nextPage(tenantId: string, connectionId: string, sessionId: string): Promise<ConnectionPage> {
  const begun = await begin({ tenantId, connectionId, sessionId });
  const last = begun.session.lastQuery?.report;
  if (!last || !begun.session.platformCursor) {
    throw conflict('This report has no next page for the connection.', { code: 'stale_cursor' });
  }
  const result = await runReport(begun, last as unknown as ReportRequest, begun.session.platformCursor);
  return {
    connectionId,
    sessionId,
    rows: result.data.rows,
    report: result.data.report,
    more: result.data.next_cursor !== null,
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
  const settled = await bounded(work, CONCURRENCY, (run) =>
    run().then(
      (page) => ({ page }),
      (err: unknown) => ({ error: asDomainError(err) }),
    ),
  );
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
