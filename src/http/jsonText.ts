// JSON text from a client, parsed defensively: the nesting is measured on the text (a loop, no recursion)
// before anything is built, and keys that would reach an object's prototype are refused while parsing.
import { FORBIDDEN_KEYS } from '../openapi/limits';

export type JsonTextProblem =
  | { kind: 'malformed' }
  | { kind: 'too_deep'; maxDepth: number }
  | { kind: 'forbidden_key'; key: string };

export type JsonTextResult = { ok: true; value: unknown } | { ok: false; problem: JsonTextProblem };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPENERS = new Set([0x5b, 0x7b]); // [ {
const CLOSERS = new Set([0x5d, 0x7d]); // ] }

/** The deepest nesting of arrays and objects in `text`, or stops counting once past `limit`. */
export function nestingDepth(text: string, limit: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (OPENERS.has(c)) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (CLOSERS.has(c)) depth--;
  }
  return deepest;
}

class ForbiddenKey extends Error {
  constructor(readonly key: string) {
    super('forbidden key');
  }
}

export function parseJsonText(text: string, maxDepth: number): JsonTextResult {
  if (nestingDepth(text, maxDepth) > maxDepth) return { ok: false, problem: { kind: 'too_deep', maxDepth } };
  try {
    const value: unknown = JSON.parse(text, (key, v: unknown) => {
      if (FORBIDDEN_KEYS.has(key)) throw new ForbiddenKey(key);
      return v;
    });
    return { ok: true, value };
  } catch (err) {
    if (err instanceof ForbiddenKey) return { ok: false, problem: { kind: 'forbidden_key', key: err.key } };
    return { ok: false, problem: { kind: 'malformed' } };
  }
}
