// Rows as flat objects: nested result objects become dotted keys (campaign.id, metrics.clicks), and metric
// values platforms send as strings become numbers. Identifiers stay strings: they are names, and 64-bit
// ids do not survive a double.

const NUMERIC = /^-?\d+(\.\d+)?$/;
const ID_LIKE = /(^|[._])(id|[a-z]*_id|[a-z]*Id|resource_?name|resourceName|date[a-z_]*|[a-z_]*_date)$/i;

function convert(key: string, value: unknown): unknown {
  if (typeof value !== 'string' || !NUMERIC.test(value) || ID_LIKE.test(key)) return value;
  const n = Number(value);
  return Number.isSafeInteger(n) || !Number.isInteger(n) ? n : value;
}

export function flattenRow(value: Record<string, unknown>, prefix = '', out: Record<string, unknown> = {}) {
  for (const [k, v] of Object.entries(value)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v))
      flattenRow(v as Record<string, unknown>, key, out);
    else out[key] = convert(key, v);
  }
  return out;
}
