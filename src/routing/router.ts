import { comparePrecedence, matchTemplate, parseTemplate, RouteTemplate } from './template';

export interface RoutableEntry {
  route: string;
  methods: readonly string[];
}

export type RouteMatch<T> =
  | { kind: 'found'; entry: T; params: Record<string, string> }
  | { kind: 'method_not_allowed'; allowed: string[] }
  | { kind: 'not_found' };

/** Finds the entry for a method and path the way the Functions host would, and tells 404 from 405. */
export class Router<T extends RoutableEntry> {
  private readonly routes: Array<{ template: RouteTemplate; entry: T }>;

  constructor(entries: readonly T[]) {
    this.routes = entries
      .map((entry) => ({ template: parseTemplate(entry.route), entry }))
      .sort((a, b) => comparePrecedence(a.template, b.template));
  }

  match(method: string, path: string): RouteMatch<T> {
    const allowed = new Set<string>();
    const upper = method.toUpperCase();
    for (const { template, entry } of this.routes) {
      const params = matchTemplate(template, path);
      if (!params) continue;
      if (entry.methods.includes(upper)) return { kind: 'found', entry, params };
      entry.methods.forEach((m) => allowed.add(m));
    }
    return allowed.size > 0
      ? { kind: 'method_not_allowed', allowed: [...allowed].sort() }
      : { kind: 'not_found' };
  }
}
