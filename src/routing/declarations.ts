// The shape of the route table: each function is declared once, and the same declaration drives
// app.http()/app.timer() under the Functions host and the local host's router. An HTTP function's contract
// (request body, query parameters, headers, responses) is declared with it: the pipeline checks requests
// against it before the handler runs, and the OpenAPI document is generated from it.
import { InvocationContext } from '@azure/functions';
import { Handler } from '../http/context';
import { RequestContract } from '../http/requestContract';
import { JsonSchema } from '../catalog/types';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PATCH' | 'PUT' | 'DELETE' | 'OPTIONS';

export interface ResponseContract {
  description: string;
  /**
   * How the body is built: `envelope` (the default) is {success, data, metadata} with `data` below; `json` is
   * a JSON body whose whole schema is `data`; `html` a page for a browser; `redirect` no body, a Location.
   */
  kind?: 'envelope' | 'json' | 'html' | 'redirect';
  /** JSON Schema of `data` (envelope) or of the whole body (json). */
  data?: JsonSchema;
  /** JSON Schema of `metadata` when it carries more than request_id (and session_id on operations). */
  metadata?: JsonSchema;
  /** Response headers a client may read: name → description. */
  headers?: Record<string, string>;
}

/** A route's contract: the request checks (body, query, headers) and what the document says of it. */
export interface RouteContract extends RequestContract {
  summary: string;
  tag: string;
  description?: string;
  /** Every answer the route gives by itself, by status. Error statuses are listed in `errors`. */
  responses: Record<number, ResponseContract>;
  /**
   * Error statuses the route's own work can answer, beyond those of the conventions (400 for bad input, 401
   * and 403 unless anonymous, 404 with a path parameter, 411/413/415 with a body, 503 for a dependency).
   */
  errors?: number[];
}

export interface HttpFunctionDeclaration {
  kind: 'http';
  name: string;
  methods: HttpMethod[];
  /** The route template under the route prefix, in the Functions host's syntax. */
  route: string;
  /** No bearer token needed. The only place a route is made anonymous. */
  anonymous?: boolean;
  handler: Handler;
  contract: RouteContract;
}

export interface TimerFunctionDeclaration {
  kind: 'timer';
  name: string;
  /** NCRONTAB schedule for the Functions host. */
  schedule: string;
  /** The interval the local host runs it at. */
  intervalMs: number;
  handler: (invocation: InvocationContext) => Promise<void>;
}

export interface QueueFunctionDeclaration {
  kind: 'queue';
  name: string;
  queueName: string;
  /**
   * The Functions host's connection for the trigger: the app setting holding a connection string, or the prefix
   * of `<connection>__queueServiceUri` (identity-based). The local host uses the app's own queue settings.
   */
  connection: string;
  /** Gets the message as the Functions host hands it over (base64-decoded; parsed when it is JSON). Throwing
   * makes the host retry the message, up to maxDequeueCount, then move it to `<queue>-poison`. */
  handler: (message: unknown, invocation: InvocationContext) => Promise<void>;
}

export type FunctionDeclaration =
  | HttpFunctionDeclaration
  | TimerFunctionDeclaration
  | QueueFunctionDeclaration;
