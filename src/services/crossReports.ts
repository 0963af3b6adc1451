// One report over several connections: each connection runs it in its own session, a few at a time; the
// answer is one table (connection_id on every row), each connection's data.report, and the connections that
// failed with why. One failing does not fail the others. The cursor names each connection's session, so the
// next page asks every connection that has more for its next page: one platform page each, never the whole.
import { ApiError, badRequest } from '../http/errors';
import { PlatformApiError } from '../platforms/api';
import { PlatformUnreachableError } from '../platformHttp/client';
import { begin, runReport } from './operations';
import { platformFailure } from './platformErrors';
import { checkReport, ReportInfo, ReportRequest } from './reports';

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
  errors: Array<{ connection_id: string; error: string; code?: string }>;
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

function asApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof PlatformApiError || err instanceof PlatformUnreachableError) return platformFailure(err);
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
    throw new ApiError(409, 'This report has no next page for the connection.', { code: 'stale_cursor' });
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
  throw badRequest('cursor is not a next_cursor of this route.', { code: 'invalid_cursor' });
}

const isText = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 64;

/** Each item is a connection id, or {id, account_id} to name the account the report runs on there. */
function connectionsOf(body: Record<string, unknown>): Target[] {
  const items = body.connections;
  const targets = Array.isArray(items)
    ? items.map((item: unknown): Target | undefined => {
        if (isText(item)) return { id: item };
        if (typeof item !== 'object' || item === null || Array.isArray(item)) return undefined;
        const { id, account_id: accountId, ...rest } = item as Record<string, unknown>;
        if (!isText(id) || (accountId !== undefined && !isText(accountId)) || Object.keys(rest).length)
          return undefined;
        return { id, accountId: accountId as string | undefined };
      })
    : [];
  if (
    !Array.isArray(items) ||
    targets.length === 0 ||
    targets.length > MAX_CONNECTIONS ||
    targets.some((t) => t === undefined) ||
    new Set(targets.map((t) => t?.id.toLowerCase())).size !== targets.length
  ) {
    throw badRequest(
      `connections must list 1 to ${MAX_CONNECTIONS} different connections: ids, or {id, account_id}.`,
      { code: 'invalid_input' },
    );
  }
  return targets as Target[];
}

/** The first page of a report over connections, or the next page of one (body {cursor}). */
export async function crossReport(tenantId: string, body: Record<string, unknown>): Promise<CrossReport> {
  const resuming = body.cursor !== undefined;
  if (resuming && Object.keys(body).length > 1) throw badRequest('A body with cursor carries nothing else.');
  if (!resuming && (typeof body.report !== 'object' || body.report === null)) {
    throw badRequest('The body is {"connections": [ids…], "report": {…}} or {"cursor": …}.');
  }
  const work: Array<() => Promise<ConnectionPage>> = resuming
    ? decodeCursor(body.cursor).map(
        ([c, s]) =>
          () =>
            nextPage(tenantId, c, s),
      )
    : connectionsOf(body).map((c) => () => firstPage(tenantId, c, body.report));
  const ids = resuming ? decodeCursor(body.cursor).map(([c]) => c) : connectionsOf(body).map((t) => t.id);
  const settled = await bounded(work, CONCURRENCY, (run) =>
    run().then(
      (page) => ({ page }),
      (err: unknown) => ({ error: asApiError(err) }),
    ),
  );
  const pages: ConnectionPage[] = [];
  const errors: CrossReport['errors'] = [];
  settled.forEach((s, i) => {
    if ('page' in s) pages.push(s.page);
    else
      errors.push({
        connection_id: ids[i],
        error: s.error.message,
        ...(s.error.code ? { code: s.error.code } : {}),
      });
  });
  if (pages.length === 0) {
    const statuses = new Set(settled.map((s) => ('error' in s ? s.error.status : 0)));
    const [status] = statuses;
    throw new ApiError(statuses.size === 1 ? status : 502, 'The report failed on every connection.', {
      code: 'report_failed',
      details: errors,
    });
  }
  return {
    rows: pages.flatMap((p) => p.rows.map((r) => ({ connection_id: p.connectionId, ...r }))),
    reports: pages.map((p) => ({ connection_id: p.connectionId, ...p.report })),
    errors,
    next_cursor: encodeCursor(pages),
  };
}
