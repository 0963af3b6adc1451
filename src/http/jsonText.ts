// JSON text from a client, parsed defensively: the nesting is measured on the text (a loop, no recursion)
// before anything is built, and keys that would reach an object's prototype are refused while parsing.
import { FORBIDDEN_KEYS } from '../openapi/limits';
import { nestingDepth } from '../shared/jsonDepth';

export type JsonTextProblem =
  | { kind: 'malformed' }
  | { kind: 'too_deep'; maxDepth: number }
  | { kind: 'forbidden_key'; key: string };

export type JsonTextResult = { ok: true; value: unknown } | { ok: false; problem: JsonTextProblem };

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
