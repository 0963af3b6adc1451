// Masking for every response and log line: a secret of 12 or more characters shows its first and last 4,
// a shorter one is masked whole. A PATCH that sends a masked value back keeps the stored secret.

export const MASK = '********';

export function maskSecret(value: string): string {
  return value.length >= 12 ? `${value.slice(0, 4)}${MASK}${value.slice(-4)}` : MASK;
}

/**
 * True when `incoming` is what the API would have shown for `stored`: the client echoed the mask back, the
 * single-record one or the whole mask of a list.
 */
export function isMaskEcho(incoming: string, stored: string | undefined): boolean {
  return stored !== undefined && (incoming === MASK || incoming === maskSecret(stored));
}

export function maskedConfig(
  publicFields: Record<string, unknown>,
  secrets: Record<string, string>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...publicFields };
  for (const [name, value] of Object.entries(secrets)) out[name] = maskSecret(value);
  return out;
}

/** What lists show: the public fields, and each secret field that is set masked whole (no secret read). */
export function fieldsSetConfig(
  publicFields: Record<string, unknown>,
  secretFields: readonly string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...publicFields };
  for (const name of secretFields) out[name] = MASK;
  return out;
}
