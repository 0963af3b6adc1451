// Last line of defence for log text: anything that looks like a credential is masked before it is written.
// Code must still never log secrets on purpose; this catches what an error message or stack carried in.

const PATTERNS: Array<[RegExp, string]> = [
  [/(bearer|basic)\s+[\w\-.~+/=]{8,}/gi, '$1 [redacted]'],
  [
    /((?:access_token|refresh_token|id_token|client_secret|app_secret|api_secret|secret|code_verifier|code|token|password|fb_exchange_token|input_token|developer_token|sig|signature)["']?\s*[=:]\s*["']?)[^"'&\s,}]+/gi,
    '$1[redacted]',
  ],
  [/\beyJ[\w-]{10,}\.[\w-]{10,}\.[\w-]{10,}/g, '[redacted-jwt]'],
];

export function redact(text: string): string {
  return PATTERNS.reduce((out, [pattern, replacement]) => out.replace(pattern, replacement), text);
}
