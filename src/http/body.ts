// Request bodies: JSON only, 1 MiB at most, with a declared length, read once.
import { INPUT_LIMITS } from '../openapi/limits';
import { ApiError, badRequest } from './errors';
import { RequestContext } from './context';
import { JsonTextProblem, parseJsonText } from './jsonText';

export const MAX_BODY_BYTES = 1024 * 1024;

const tooLarge = () =>
  new ApiError(413, 'The request body is larger than 1 MiB.', { code: 'payload_too_large' });

function isJsonType(contentType: string): boolean {
  const type = contentType.split(';')[0].trim().toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

function refused(problem: JsonTextProblem): ApiError {
  switch (problem.kind) {
    case 'too_deep':
      return badRequest(`The request body nests arrays and objects more than ${problem.maxDepth} deep.`, {
        code: 'too_deep',
      });
    case 'forbidden_key':
      return badRequest(`The request body may not contain the key "${problem.key}".`, {
        code: 'forbidden_key',
      });
    default:
      return badRequest('The request body is not valid JSON.', { code: 'malformed_json' });
  }
}

/**
 * The JSON body, or undefined when the request has none. Malformed JSON, nesting past the limit or a key that
 * reaches a prototype → 400 (before anything else is done with it), not JSON → 415, over 1 MiB → 413.
 */
export async function jsonBody(ctx: RequestContext): Promise<unknown> {
  if (ctx.body) return ctx.body.value;
  // The Functions host passes a body only when its length is declared: a chunked one never reaches the app,
  // so it is refused here, the same under both hosts, instead of being read as "no body".
  if (!ctx.request.headers.has('content-length') && ctx.request.headers.has('transfer-encoding')) {
    throw new ApiError(411, 'Send the request body with a Content-Length; chunked bodies are not accepted.', {
      code: 'length_required',
    });
  }
  const declared = Number(ctx.request.headers.get('content-length') ?? '0');
  if (declared > MAX_BODY_BYTES) throw tooLarge();
  const bytes = ctx.request.body ? Buffer.from(await ctx.request.arrayBuffer()) : Buffer.alloc(0);
  if (bytes.length > MAX_BODY_BYTES) throw tooLarge();
  let value: unknown;
  if (bytes.length > 0) {
    // A body that names another type is refused; one that names none is read as JSON.
    const contentType = ctx.request.headers.get('content-type');
    if (contentType && !isJsonType(contentType)) {
      throw new ApiError(415, 'The request body must be JSON (Content-Type: application/json).', {
        code: 'unsupported_media_type',
      });
    }
    const parsed = parseJsonText(bytes.toString('utf8'), INPUT_LIMITS.jsonDepth);
    if (!parsed.ok) throw refused(parsed.problem);
    value = parsed.value;
  }
  ctx.body = { value };
  return value;
}

/**
 * The body the route's contract checked before the handler ran (src/http/requestContract.ts), as the type its
 * schema states. Only for a route whose contract declares that body; the one place such a body gets its type.
 */
export async function checkedBody<T extends object>(ctx: RequestContext): Promise<T> {
  return ((await jsonBody(ctx)) ?? {}) as T;
}

/** The JSON body as an object; anything else (absent, an array, a string) → 400. */
export async function jsonObject(ctx: RequestContext): Promise<Record<string, unknown>> {
  const value = await jsonBody(ctx);
  if (value === undefined) throw badRequest('A JSON object body is required.', { code: 'body_required' });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw badRequest('The request body must be a JSON object.', { code: 'invalid_body' });
  }
  return value as Record<string, unknown>;
}
