// The shape of the route table: each function is declared once, and the same declaration drives
// app.http()/app.timer() under the Functions host and the local host's router. An HTTP function's contract
// (request body, query parameters, headers, responses) is declared with it: the pipeline checks requests
// against it before the handler runs, and the OpenAPI document is generated from it.
import { InvocationContext } from '@azure/functions';
import { Handler } from '../http/context';
import { RouteContract } from '../openapi/contract';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PATCH' | 'PUT' | 'DELETE' | 'OPTIONS';

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
