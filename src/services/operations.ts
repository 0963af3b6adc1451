// The operations API: metadata, account, query, execute, message and state, in sessions that persist per
// connection. Platform specifics live in each family's operations module; this is the shared part.
import { createHash, randomBytes } from 'node:crypto';
import { validateExecute, validateQuery } from '../platforms/registry/validation';
import { AccountInput, ExecuteInput, MESSAGE_TYPES, MessageInput, QueryInput } from '../openapi/operations';
import { families } from '../platforms/registry/families';
import {
  Account,
  AccountLimit,
  AccountList,
  FamilyOperations,
  isPendingExecute,
  OperationCall,
  QueryPage,
} from '../platforms/operations';
import { settings } from '../settings';
import { SessionRecord } from '../stores/sessionStore';
import { ConnectorDefinition } from '../catalog/types';
import { definitionOf } from './records';
import { loadConnection } from './connectionRecords';
import { operationCall } from './operationCall';
import { checkReport, ReportRequest, reportPage } from './reports';
import { openSession, sessionState, updateSession } from './sessions';
import { conflict, DomainError, invalid } from '../shared/errors';

export interface OperationScope {
  tenantId: string;
  connectionId: string;
  sessionId?: string;
}

/** The connection (404 / 409 unless active) and its session (404 for an unknown one; new when none named). */
export type Begun = Awaited<ReturnType<typeof begin>>;

/**
 * What a request must pass before a new session is written for it: the connector type's definition and the
 * named session (undefined when none is named, i.e. a new, empty one), so a refused body leaves no session.
 */
export type RequestCheck = (definition: ConnectorDefinition, session: SessionRecord | undefined) => void;

export async function begin(scope: OperationScope, check?: RequestCheck) {
  // A named session is read alongside the connection (one round trip less); the connection's answer
  // (404, 409) still comes first.
  const [connectionRead, sessionRead] = await Promise.allSettled([
    loadConnection(scope.tenantId, scope.connectionId),
    scope.sessionId
      ? openSession(scope.tenantId, scope.connectionId.toLowerCase(), scope.sessionId)
      : undefined,
  ]);
  if (connectionRead.status === 'rejected') throw connectionRead.reason;
  const stored = connectionRead.value;
  const connection = stored.value;
  if (connection.status !== 'active') {
    throw conflict(
      `The connection is ${connection.status}; operations need an active connection${
        connection.status === 'expired' || connection.status === 'revoked' ? ' (reconnect it)' : ''
      }.`,
      { code: 'connection_not_active' },
    );
  }
  if (sessionRead.status === 'rejected') throw sessionRead.reason;
  const definition = definitionOf(connection.connectorType);
  check?.(definition, sessionRead.value?.value);
  const storedSession = sessionRead.value ?? (await openSession(scope.tenantId, connection.id, undefined));
  return {
    stored,
    storedSession,
    session: storedSession.value,
    definition,
    family: families[definition.family].operations,
  };
}

const newCursorHandle = () => `cur_${randomBytes(16).toString('base64url')}`;

function invalidInput(what: string, errors: Array<{ path: string; message: string }>): DomainError {
  return invalid(`The ${what} is not valid for this connector type.`, {
    code: 'invalid_input',
    details: errors,
  });
}

/** A family's accounts as one list, whichever shape the family answers in. */
async function accountsOf(
  family: FamilyOperations,
  call: OperationCall,
  limit: AccountLimit,
): Promise<AccountList> {
  const got = await family.accounts(call, limit);
  return Array.isArray(got) ? { accounts: got, truncated: false } : got;
}

export async function listAccounts(scope: OperationScope) {
  const { stored, session, definition, family } = await begin(scope);
  const call = await operationCall(scope.tenantId, stored, session.accountId);
  const cap = settings().accountListLimit;
  const { accounts, truncated } = await accountsOf(family, call, { cap });
  return {
    session,
    data: {
      connector_type: definition.type,
      account_id: session.accountId ?? null,
      accounts,
      truncated,
      ...(truncated
        ? {
            truncation: `Each list stops at ${cap} accounts (ACCOUNT_LIST_LIMIT) and this connection has more. Select any other account by its id with POST …/account: it is looked up beyond the limit.`,
          }
        : {}),
      query_schema: definition.operations.query,
      execute_operations: Object.fromEntries(
        Object.entries(definition.operations.execute).map(([name, op]) => [name, op]),
      ),
      messages: MESSAGE_TYPES,
    },
  };
}

export async function selectAccount(scope: OperationScope, body: AccountInput) {
  const accountId = body.account_id;
  const { stored, storedSession, session, family } = await begin(scope);
  const call = await operationCall(scope.tenantId, stored, session.accountId);
  // Sought past the listing cap, so an account a truncated metadata answer left out can still be selected.
  const { accounts } = await accountsOf(family, call, { cap: settings().accountListLimit, find: accountId });
  const account = accounts.find((a: Account) => a.id === accountId);
  if (!account) {
    throw invalid(`'${accountId.slice(0, 64)}' is not one of this connection's accounts.`, {
      code: 'unknown_account',
    });
  }
  const updated = await updateSession(
    scope.tenantId,
    session.id,
    (s) => ({ ...s, accountId: account.id }),
    storedSession,
  );
  return { session: updated, data: { account, state: sessionState(updated) } };
}

/** Runs a query page and records it in the session, so next_page can continue it. */
async function runQuery(
  begun: Begun,
  query: Record<string, unknown>,
  cursor: string | undefined,
): Promise<{
  session: SessionRecord;
  data: { rows: QueryPage['rows']; next_cursor: string | null; warnings?: string[] };
}> {
  const { stored, storedSession, session, family } = begun;
  const accountId = (typeof query.account_id === 'string' && query.account_id) || session.accountId;
  const call = await operationCall(session.tenantId, stored, accountId);
  const page = await family.query(call, query, cursor);
  const handle = page.cursor ? newCursorHandle() : undefined;
  const updated = await updateSession(
    session.tenantId,
    session.id,
    (s) => ({ ...s, lastQuery: query, platformCursor: page.cursor, nextCursor: handle }),
    storedSession,
  );
  const warnings = page.warnings?.length ? { warnings: page.warnings } : {};
  return { session: updated, data: { rows: page.rows, next_cursor: handle ?? null, ...warnings } };
}

/** Runs a report page and records it in the session, so next_page can continue it. */
export async function runReport(begun: Begun, report: ReportRequest, cursor: string | undefined) {
  const { stored, storedSession, session } = begun;
  const call = await operationCall(session.tenantId, stored, report.account_id ?? session.accountId);
  const page = await reportPage(call, report, cursor);
  const handle = page.cursor ? newCursorHandle() : undefined;
  const updated = await updateSession(
    session.tenantId,
    session.id,
    (s) => ({ ...s, lastQuery: { report }, platformCursor: page.cursor, nextCursor: handle }),
    storedSession,
  );
  return {
    session: updated,
    data: { rows: page.rows, next_cursor: handle ?? null, report: page.report },
  };
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A native query or a report: the contract lets exactly one of them through. */
export async function query(scope: OperationScope, body: QueryInput) {
  let report: ReportRequest | undefined;
  let merged: Record<string, unknown> = {};
  const begun = await begin(scope, (definition, session) => {
    if (body.report !== undefined) {
      report = checkReport(definition.type, body.report);
      return;
    }
    // Session defaults (set_defaults) fill what the query leaves out; a new session has none.
    merged = { ...session?.defaults, ...body.query };
    const result = validateQuery(definition.type, merged);
    if (!result.valid) throw invalidInput('query', result.errors);
  });
  return report ? runReport(begun, report, undefined) : runQuery(begun, merged, undefined);
}

export async function execute(scope: OperationScope, body: ExecuteInput) {
  const operation = body.operation;
  const p = body.params ?? {};
  const { stored, storedSession, session, family } = await begin(scope, (definition) => {
    const result = validateExecute(definition.type, operation, p);
    if (!result) {
      const available = Object.keys(definition.operations.execute);
      throw invalid(
        available.length
          ? `Unknown operation '${operation.slice(0, 64)}' for ${definition.type}; available: ${available.join(', ')}.`
          : `${definition.type} has no execute operations: it only reads (POST …/query with a query or a report).`,
        { code: 'unknown_operation' },
      );
    }
    if (!result.valid) throw invalidInput(`params of ${operation}`, result.errors);
  });
  const key = requestKey(operation, p, body.idempotency_key);
  const accountId = (typeof p.account_id === 'string' && p.account_id) || session.accountId;
  const call = await operationCall(scope.tenantId, stored, accountId);
  // The same request again while the platform is still finishing it checks that one: never a second start.
  const pending = session.pendingExecute;
  const outcome =
    pending && pending.key === key && family.resume
      ? await family.resume(call, pending.operation, pending.resume)
      : await family.execute(call, operation, p);
  return settleExecute(scope.tenantId, storedSession, operation, key, outcome);
}

/** What identifies "the same request": the caller's idempotency_key, else the operation and its params. */
function requestKey(operation: string, params: Record<string, unknown>, idempotencyKey?: string): string {
  if (idempotencyKey !== undefined) return `key:${idempotencyKey}`;
  const sorted = Object.fromEntries(Object.entries(params).sort(([a], [b]) => a.localeCompare(b)));
  return `req:${createHash('sha256')
    .update(JSON.stringify([operation, sorted]))
    .digest('base64url')}`;
}

/** Keeps a still-pending execute in the session (202), or clears it once it has finished (200). */
async function settleExecute(
  tenantId: string,
  storedSession: Begun['storedSession'],
  operation: string,
  key: string,
  outcome: unknown,
) {
  const session = storedSession.value;
  const waiting = isPendingExecute(outcome) ? outcome : undefined;
  const updated = await updateSession(
    tenantId,
    session.id,
    (s) => ({
      ...s,
      pendingExecute: waiting
        ? {
            operation,
            key,
            resume: waiting.resume,
            startedAt: s.pendingExecute?.key === key ? s.pendingExecute.startedAt : new Date().toISOString(),
          }
        : s.pendingExecute?.key === key
          ? undefined
          : s.pendingExecute,
    }),
    storedSession,
  );
  return {
    session: updated,
    status: waiting ? 202 : 200,
    data: { operation, result: waiting ? waiting.data : outcome },
  };
}

/** message publish_status: checks the session's pending execute once. */
async function checkPending(scope: OperationScope, begun: Begun) {
  const { stored, storedSession, session, family } = begun;
  const pending = session.pendingExecute;
  if (!pending || !family.resume) {
    throw nothingPending();
  }
  const call = await operationCall(scope.tenantId, stored, session.accountId);
  const outcome = await family.resume(call, pending.operation, pending.resume);
  return settleExecute(scope.tenantId, storedSession, pending.operation, pending.key, outcome);
}

const noQuery = () => conflict('This session has no query to continue; POST …/query first.');
const nothingPending = () =>
  conflict('This session has no execute in progress.', { code: 'nothing_pending' });
const MAX_DEFAULTS_LENGTH = 8192;
const tooLargeDefaults = () => invalid('The defaults are too large (8 KiB at most).');

/** The defaults after set_defaults: null removes one. */
function mergedDefaults(current: Record<string, unknown> | undefined, change: Record<string, unknown>) {
  const next = { ...current };
  for (const [k, v] of Object.entries(change)) {
    if (v === null) delete next[k];
    else next[k] = v;
  }
  return next;
}

/** What a message must pass before a new session is written for it (a new session has nothing to continue). */
function checkMessage(body: MessageInput, session: SessionRecord | undefined): void {
  if (
    body.type === 'set_defaults' &&
    JSON.stringify(mergedDefaults(session?.defaults, body.defaults ?? {})).length > MAX_DEFAULTS_LENGTH
  )
    throw tooLargeDefaults();
  if (session) return;
  if (body.type === 'next_page') throw noQuery();
  if (body.type === 'publish_status') throw nothingPending();
}

export async function message(scope: OperationScope, body: MessageInput) {
  const begun = await begin(scope, (_definition, session) => checkMessage(body, session));
  const { session, storedSession } = begun;
  switch (body.type) {
    case 'next_page': {
      if (!session.lastQuery) throw noQuery();
      if (!session.platformCursor || !session.nextCursor)
        throw conflict('The last query has no next page.', { code: 'no_next_page' });
      if (body.cursor !== undefined && body.cursor !== session.nextCursor) {
        throw conflict("That cursor is not the next page of this session's last query.", {
          code: 'stale_cursor',
        });
      }
      if (isObject(session.lastQuery.report))
        return runReport(begun, session.lastQuery.report as unknown as ReportRequest, session.platformCursor);
      return runQuery(begun, session.lastQuery, session.platformCursor);
    }
    case 'publish_status':
      return checkPending(scope, begun);
    case 'set_defaults': {
      // The contract requires defaults (an object) with set_defaults.
      const defaults = body.defaults ?? {};
      const updated = await updateSession(scope.tenantId, session.id, (s) => {
        // Checked again on the session as it is now: another request may have added defaults meanwhile.
        const next = mergedDefaults(s.defaults, defaults);
        if (JSON.stringify(next).length > MAX_DEFAULTS_LENGTH) throw tooLargeDefaults();
        return { ...s, defaults: next };
      });
      return { session: updated, data: sessionState(updated) };
    }
    case 'reset': {
      const updated = await updateSession(
        scope.tenantId,
        session.id,
        (s) => ({
          ...s,
          accountId: undefined,
          lastQuery: undefined,
          platformCursor: undefined,
          nextCursor: undefined,
          defaults: {},
        }),
        storedSession,
      );
      return { session: updated, data: sessionState(updated) };
    }
    default:
      throw invalid(`Unknown message type; send one of ${Object.keys(MESSAGE_TYPES).join(', ')}.`, {
        code: 'unknown_message',
      });
  }
}

export async function state(scope: OperationScope) {
  const { session } = await begin(scope);
  return { session, data: sessionState(session) };
}
