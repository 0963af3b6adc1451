// Route templates in the Functions host's syntax ('v1/connectors/{connector_type}'), matched with its
// precedence: at the first segment where two templates differ, a literal beats a parameter, which beats
// a catch-all ('{*path}').

type Segment =
  | { kind: 'literal'; text: string }
  | { kind: 'param'; name: string }
  | { kind: 'catchall'; name: string };

export interface RouteTemplate {
  readonly source: string;
  readonly segments: readonly Segment[];
}

export function parseTemplate(source: string): RouteTemplate {
  const segments = source
    .split('/')
    .filter((s) => s.length > 0)
    .map((s): Segment => {
      const param = /^\{(\*?)([A-Za-z_][\w]*)\}$/.exec(s);
      if (!param) {
        if (/[{}]/.test(s)) throw new Error(`Route template '${source}': unsupported segment '${s}'`);
        return { kind: 'literal', text: s.toLowerCase() };
      }
      return param[1] ? { kind: 'catchall', name: param[2] } : { kind: 'param', name: param[2] };
    });
  segments.forEach((s, i) => {
    if (s.kind === 'catchall' && i !== segments.length - 1) {
      throw new Error(`Route template '${source}': a catch-all must be the last segment`);
    }
  });
  return { source, segments };
}

const rank = { literal: 0, param: 1, catchall: 2 } as const;

/** Negative when `a` takes precedence over `b`. */
export function comparePrecedence(a: RouteTemplate, b: RouteTemplate): number {
  const n = Math.max(a.segments.length, b.segments.length);
  for (let i = 0; i < n; i++) {
    const sa = a.segments[i];
    const sb = b.segments[i];
    if (!sa || !sb) return sa ? -1 : 1;
    const diff = rank[sa.kind] - rank[sb.kind];
    if (diff !== 0) return diff;
  }
  return 0;
}

/** The route parameters when `path` (no route prefix, no query) matches, else undefined. */
export function matchTemplate(template: RouteTemplate, path: string): Record<string, string> | undefined {
  const parts = path.split('/').filter((s) => s.length > 0);
  const params: Record<string, string> = {};
  const segs = template.segments;
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i];
    if (seg.kind === 'catchall') {
      params[seg.name] = parts.slice(i).map(decode).join('/');
      return params;
    }
    const part = parts[i];
    if (part === undefined) return undefined;
    if (seg.kind === 'literal') {
      if (decode(part).toLowerCase() !== seg.text) return undefined;
    } else {
      params[seg.name] = decode(part);
    }
  }
  return parts.length === segs.length ? params : undefined;
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
