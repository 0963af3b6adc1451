// A compact JWS read without trusting it: three base64url parts, a JSON object header and a JSON object
// payload, or nothing. Never throws, whatever the caller sent (jsonwebtoken's decode throws on a payload that
// is not JSON when the header says typ JWT).

export interface JwtParts {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
}

/** Far above any Azure AD access token (a few kilobytes), and within Node's 16 KiB of request headers. */
export const MAX_TOKEN_CHARS = 16 * 1024;

const SEGMENT = /^[A-Za-z0-9_-]+$/;

function jsonObject(segment: string): Record<string, unknown> | undefined {
  if (!SEGMENT.test(segment)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  return value as Record<string, unknown>;
}

export function decodeJwt(token: string): JwtParts | undefined {
  if (token.length > MAX_TOKEN_CHARS) return undefined;
  const parts = token.split('.');
  if (parts.length !== 3 || !/^[A-Za-z0-9_-]*$/.test(parts[2])) return undefined;
  const header = jsonObject(parts[0]);
  const payload = header && jsonObject(parts[1]);
  return header && payload ? { header, payload } : undefined;
}
