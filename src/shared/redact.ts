// Last line of defence for log text: anything that looks like a credential is masked before it is written.
// Code must still never log secrets on purpose; this catches what an error message or stack carried in.
// The pipeline passes every message a handler logs through here (see redactingInvocation).

/** Names whose value is a credential whatever its length. */
const ALWAYS =
  'access_token|refresh_token|id_token|client_secret|app_secret|api_secret|consumer_secret|secret|api_key|apikey|' +
  'code_verifier|password|passwd|fb_exchange_token|input_token|developer_token|client_assertion|assertion|' +
  'x-identity-header|identity_header|cookie|set-cookie';
/**
 * Names that are credentials only when the value looks random: an OAuth `code` or `state`, a `key`, a `sig`,
 * a `token` are long random strings, while `code: 190`, `status_code=500` or `"code":"OAuthException"` are
 * worth keeping in a log. Masked: 16 characters or more, or 8 or more with a digit.
 */
const WHEN_LONG = 'code|auth_code|state|key|sig|signature|token';

// The name must not continue a longer word (`RowKey`, `encode`), but may follow `_` or `-` (`oauth_token`).
// Between name and value: optional (escaped) quotes, `=` or `:`, spaces; the value ends at a quote, `&`,
// a space, a comma, a brace or a backslash (JSON escaped inside a JSON string).
const named = (names: string, minLength: number) =>
  new RegExp(
    `((?<![a-z0-9])(?:${names})\\\\?["']?\\s*[=:]\\s*\\\\?["']?)[^"'&\\s,;}\\\\]{${minLength},}`,
    'gi',
  );

const looksRandom = (prefix: string, value: string) =>
  value.length >= 16 || /\d/.test(value) ? `${prefix}[redacted]` : `${prefix}${value}`;

const PATTERNS: Array<[RegExp, string | ((match: string, prefix: string) => string)]> = [
  // Authorization header values: the scheme stays, the credential goes.
  [/\b(bearer|basic|sharedkey|sharedkeylite|pop)\s+[\w\-.~+/=:]{8,}/gi, '$1 [redacted]'],
  [named(ALWAYS, 1), '$1[redacted]'],
  [named(WHEN_LONG, 8), (match, prefix) => looksRandom(prefix, match.slice(prefix.length))],
  // Token shapes, wherever they appear: JWTs, Meta user/page tokens, Google access and refresh tokens and
  // API keys.
  [/\beyJ[\w-]{10,}\.[\w-]{10,}\.[\w-]{10,}/g, '[redacted-jwt]'],
  [/\bEAA[A-Za-z0-9]{20,}/g, '[redacted-token]'],
  [/\bya29\.[\w-]{20,}/g, '[redacted-token]'],
  [/\b1\/\/0[\w-]{20,}/g, '[redacted-token]'],
  [/\bAIza[\w-]{30,}/g, '[redacted-token]'],
];

export function redact(text: string): string {
  let out = text;
  for (const [pattern, replacement] of PATTERNS) {
    out =
      typeof replacement === 'string'
        ? out.replace(pattern, replacement)
        : out.replace(pattern, (match: string, prefix: string) => replacement(match, prefix));
  }
  return out;
}
