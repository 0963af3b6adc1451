// What a platform family does for the operations API. The services give it an OperationCall: the
// connection's definition and configuration, the account in effect, and a way to call the platform with
// the connection's token (renewal, retries and error mapping are handled there, not here).
import type { FromSchema, JSONSchema } from 'json-schema-to-ts';
import { ConnectorDefinition } from '../catalog/types';
import { PlatformRequest, PlatformResponse } from '../platformHttp/client';
import { invalid } from '../shared/errors';

export interface Account {
  id: string;
  name: string;
  /** What kind of account: ad_account, page, instagram_account, customer, channel, user, organization… */
  kind: string;
  [detail: string]: unknown;
}

/** How far a family lists accounts: at most `cap` per list, or, when `find` is set, until that account is found. */
export interface AccountLimit {
  cap: number;
  find?: string;
}

/** A family's accounts; `truncated` when the cap left some out (they can still be selected by id). */
export interface AccountList {
  accounts: Account[];
  truncated: boolean;
}

export interface QueryPage {
  rows: Array<Record<string, unknown>>;
  /** The platform's cursor for the next page; kept in the session, never shown to the client. */
  cursor?: string;
  /** What the platform reported beside the data (X's partial errors): shown to the client as `warnings`. */
  warnings?: string[];
}

export interface CallOptions {
  /** Use this token instead of the connection's (Meta Page tokens). */
  token?: string;
  /** Safe to retry on 5xx and network errors even though it is not a GET. */
  idempotent?: boolean;
  /** A reporting call: the longer budget (REPORT_TIMEOUT_SECONDS, 60 s), and never repeated after a timeout. */
  report?: boolean;
}

/** A budget of calls the platform allows per user token (TikTok: 6 Direct Post inits a minute). */
export interface CallBudget {
  /** Names the budget in the service's table (one per platform call kind). */
  name: string;
  limit: number;
  windowSeconds: number;
  /** The platform's rule in words, for the 429 a caller gets when it is spent. */
  rule: string;
}

export interface OperationCall {
  /** The connection the call acts for (what a family learns about it can be kept by this id). */
  connectionId: string;
  definition: ConnectorDefinition;
  config: Record<string, string>;
  /** The account the request names, else the session's active account. */
  accountId?: string;
  /** The token set's extras (TikTok open_id…). */
  tokenExtras: Record<string, string | undefined>;
  api(req: PlatformRequest, options?: CallOptions): Promise<PlatformResponse>;
  /**
   * Spends one call of a per-token budget the platform sets, counted by the service for the connection across
   * instances: when it is spent, 429 with Retry-After and the platform is not called. Resolves to a function
   * that gives the call back (for when the platform was not called after all).
   */
  spend(budget: CallBudget): Promise<() => Promise<void>>;
}

/**
 * An execute the platform finishes later (Instagram video processing): the service answers 202 with `data`
 * and keeps `resume` (opaque, never shown) in the session; `resume()` checks once and continues it.
 */
export interface PendingExecute {
  pending: true;
  data: Record<string, unknown>;
  resume: string;
}

export function isPendingExecute(value: unknown): value is PendingExecute {
  return typeof value === 'object' && value !== null && (value as { pending?: unknown }).pending === true;
}

export interface FamilyOperations {
  /**
   * The accounts this connection can act for (metadata; the account route checks ids against it). A family
   * whose lists page walks every page up to `limit` and answers an AccountList; a single account can be an array.
   */
  accounts(call: OperationCall, limit?: AccountLimit): Promise<Account[] | AccountList>;
  /** One page of a query already validated against the type's query schema. */
  query(call: OperationCall, query: Record<string, unknown>, cursor?: string): Promise<QueryPage>;
  /** An operation whose params were validated against the type's schema for it. */
  execute(call: OperationCall, operation: string, params: Record<string, unknown>): Promise<unknown>;
  /** Checks a pending execute once (never starts it again): its result, or still pending. */
  resume?(call: OperationCall, operation: string, resume: string): Promise<unknown>;
}

/** A family's operation schemas, declared `as const` so that what they accept has a type. */
export interface OperationSchemas {
  query: JSONSchema;
  execute: Record<string, { description: string; params: JSONSchema }>;
}

/** A query as the family's schema (of any of its types) describes it. */
export type QueryOf<S extends OperationSchemas> = S extends OperationSchemas ? FromSchema<S['query']> : never;

type ExecuteSchemasOf<S extends OperationSchemas> = UnionToIntersection<S['execute']>;
type UnionToIntersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void
  ? I
  : never;

/** One function per execute, keyed by the same names as the schemas, each taking the params its schema says. */
export type ExecutesOf<S extends OperationSchemas> = {
  [K in keyof ExecuteSchemasOf<S>]: ExecuteSchemasOf<S>[K] extends { params: infer P extends JSONSchema }
    ? (call: OperationCall, params: FromSchema<P>) => Promise<unknown>
    : never;
};

/** A query function for queries of the schemas `S`. */
export type QueryFunction<S extends OperationSchemas> = (
  call: OperationCall,
  query: QueryOf<S>,
  cursor?: string,
) => Promise<QueryPage>;

/**
 * A family's operations with typed inputs. `T` names its connector types' operation schemas by type; `query` is
 * one function for every type, or one per type; `execute` one function per execute name of any of its types.
 */
export interface TypedOperations<T extends Record<string, OperationSchemas>> {
  accounts: FamilyOperations['accounts'];
  query: QueryFunction<T[keyof T]> | { [K in keyof T]: QueryFunction<T[K]> };
  execute: ExecutesOf<T[keyof T]>;
  resume?: FamilyOperations['resume'];
}

type Untyped = (call: OperationCall, input: unknown, cursor?: string) => Promise<unknown>;

/**
 * The family's operations as the service calls them. The service has validated every query and params against
 * the connector type's own schemas (src/platforms/registry/validation.ts) before it calls, so the input is what
 * the type says: the one place that is taken as given, instead of a cast per field in each family.
 */
export function typedOperations<T extends Record<string, OperationSchemas>>(
  _schemas: T,
  operations: TypedOperations<T>,
): FamilyOperations {
  const executes = operations.execute as unknown as Record<string, Untyped | undefined>;
  const queries = operations.query as unknown as Untyped | Record<string, Untyped | undefined>;
  return {
    accounts: operations.accounts,
    query: async (call, query, cursor) => {
      const run = typeof queries === 'function' ? queries : queries[call.definition.type];
      if (!run) throw invalid(`${call.definition.type} answers no queries.`);
      return (await run(call, query, cursor)) as QueryPage;
    },
    execute: (call, name, params) => {
      const run = Object.hasOwn(executes, name) ? executes[name] : undefined;
      if (!run) throw invalid(`Unknown operation ${name}.`);
      return run(call, params);
    },
    ...(operations.resume ? { resume: operations.resume } : {}),
  };
}
