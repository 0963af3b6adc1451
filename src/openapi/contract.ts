// The shape of a route's contract, declared once per route beside its declaration (src/openapi/<area>.ts, named by
// the route table): the pipeline checks requests against it (src/http/requestContract.ts) and document.ts builds
// the OpenAPI document from it. Types only, importing nothing of HTTP or routing, so every layer may use them.
import { JsonSchema } from '../catalog/types';

/** A query parameter or request header: its JSON Schema (query values are strings on the wire) and meaning. */
export interface ParameterContract {
  description: string;
  schema: JsonSchema;
  required?: boolean;
}

/** What the pipeline checks before the handler runs. */
export interface RequestContract {
  /** The JSON request body; absent when the route reads none. */
  body?: {
    schema: JsonSchema;
    /** A request without a body is refused (400 body_required). Default true. */
    required?: boolean;
  };
  /** Query parameters; others are ignored. */
  query?: Record<string, ParameterContract>;
  /** Request headers the route reads (beyond Authorization). */
  headers?: Record<string, ParameterContract>;
}

export interface ResponseContract {
  description: string;
  /**
   * How the body is built: `envelope` (the default) is {success, data, metadata} with `data` below; `json` is
   * a JSON body whose whole schema is `data`; `html` a page for a browser; `redirect` no body, a Location.
   */
  kind?: 'envelope' | 'json' | 'html' | 'redirect';
  /** JSON Schema of `data` (envelope) or of the whole body (json). */
  data?: JsonSchema;
  /** JSON Schema of `metadata` when it carries more than request_id. */
  metadata?: JsonSchema;
  /** Response headers a client may read: name → description. */
  headers?: Record<string, string>;
}

/** A route's contract: the request checks and what the document says of it. */
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

/** What the document needs of a declared route (an HttpFunctionDeclaration is one). */
export interface DocumentedRoute {
  name: string;
  methods: readonly string[];
  route: string;
  anonymous?: boolean;
  contract: RouteContract;
}
