// The input limits, declared once: the request schemas of the OpenAPI document state them and the checks that
// refuse a request read them from here, so the document and the service cannot disagree.

export const INPUT_LIMITS = {
  /** Nesting of arrays and objects in any JSON body, checked on the text before it is parsed. */
  jsonDepth: 32,
  /** Where the browser goes after the callback (the state row stores it: Table Storage holds 32K characters). */
  returnUrlLength: 2048,
  /** A configuration's or connection's name. */
  nameLength: 200,
  /** Scopes asked for one connection, and the length of each. */
  scopeCount: 50,
  scopeLength: 200,
  /** Ids a client sends back to us (configuration, connection, session, account, operation names). */
  idLength: 200,
  /** A cursor the service handed out. */
  cursorLength: 4096,
} as const;

/**
 * Keys refused anywhere in a body: assigning them to a plain object changes its prototype (or shadows what
 * every object inherits), so a merge of client data could drop or fake a required field.
 */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** What a scope may be made of (every platform's scopes fit: URLs, dotted and colon-separated names). */
export const SCOPE_PATTERN = `^[A-Za-z0-9_.:/+-]{1,${INPUT_LIMITS.scopeLength}}$`;
