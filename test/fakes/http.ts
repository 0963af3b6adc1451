// Shared plumbing for the platform fakes: a loopback HTTP server, request parsing, token minting and
// PKCE checks. Each platform family builds its own routes and error shapes on top of this.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { FakeApp, FakeFault, FakeStats } from './types';

export interface FakeRequest {
  method: string;
  url: URL;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The body parsed as application/x-www-form-urlencoded. */
  form(): URLSearchParams;
  /** The body parsed as JSON; undefined when it is not JSON. */
  json(): unknown;
  /** The bearer token of the Authorization header, if any. */
  bearer(): string | undefined;
}

export interface FakeResponse {
  status: number;
  headers?: Record<string, string>;
  /** A string is sent as is; anything else as JSON. */
  body?: unknown;
}

export type FakeHandler = (req: FakeRequest) => FakeResponse | Promise<FakeResponse>;

export interface FakeServer {
  /** http://127.0.0.1:PORT, no trailing slash. */
  url: string;
  close(): Promise<void>;
}

/** Starts an HTTP server on 127.0.0.1 (port 0 unless given) that answers every request with `handler`. */
export async function startFakeServer(handler: FakeHandler, port = 0): Promise<FakeServer> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const fakeReq: FakeRequest = {
        method: req.method ?? 'GET',
        url,
        path: url.pathname,
        headers: req.headers,
        body,
        form: () => new URLSearchParams(body),
        json: () => {
          try {
            return JSON.parse(body) as unknown;
          } catch {
            return undefined;
          }
        },
        bearer: () => {
          const auth = req.headers.authorization;
          return auth?.toLowerCase().startsWith('bearer ') ? auth.slice(7).trim() : undefined;
        },
      };
      Promise.resolve()
        .then(() => handler(fakeReq))
        .catch((err: unknown): FakeResponse => ({ status: 500, body: { error: String(err) } }))
        .then((out) => {
          const isText = typeof out.body === 'string';
          const payload =
            out.body === undefined ? '' : isText ? (out.body as string) : JSON.stringify(out.body);
          const headers: Record<string, string> = { ...(out.headers ?? {}) };
          if (
            out.body !== undefined &&
            !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')
          ) {
            headers['content-type'] = isText
              ? 'text/plain; charset=utf-8'
              : 'application/json; charset=utf-8';
          }
          res.writeHead(out.status, headers);
          res.end(payload);
        });
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const { port: actual } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${actual}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** An opaque random token with a readable prefix, like platforms issue. */
export function randomToken(prefix: string, bytes = 24): string {
  return `${prefix}${randomBytes(bytes).toString('base64url')}`;
}

/** RFC 7636 S256 code challenge of a verifier. */
export function pkceChallenge(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

/** Parses `Authorization: Basic base64(id:secret)`; undefined when absent or malformed. */
export function basicCredentials(headers: IncomingHttpHeaders): { id: string; secret: string } | undefined {
  const auth = headers.authorization;
  if (!auth?.toLowerCase().startsWith('basic ')) return undefined;
  const decoded = Buffer.from(auth.slice(6).trim(), 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) return undefined;
  return { id: decodeURIComponent(decoded.slice(0, i)), secret: decodeURIComponent(decoded.slice(i + 1)) };
}

export function redirect(location: string): FakeResponse {
  return { status: 302, headers: { location }, body: '' };
}

/** Appends query parameters to a URL string, keeping what is there. */
export function withQuery(base: string, params: Record<string, string | undefined>): string {
  const u = new URL(base);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) u.searchParams.set(k, v);
  return u.toString();
}

/** Seconds since the epoch, the unit platforms use for expiry. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

// ---------------------------------------------------------------------------------------------
// OAuth bookkeeping shared by the fakes: codes, tokens, faults, rate windows and consent pages.

/** Milliseconds since the epoch. Fakes take one so that tests can move time instead of sleeping. */
export type Clock = () => number;

export function emptyStats(): FakeStats {
  return {
    authorizations: 0,
    codeExchanges: 0,
    refreshes: 0,
    revocations: 0,
    apiCalls: 0,
    requests: [],
    secretsInUrl: 0,
  };
}

/** Narrows parsed JSON to a plain object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An app with no registered redirect URIs accepts any; otherwise the URI must be one of them, exactly. */
export function redirectUriAllowed(app: FakeApp, redirectUri: string): boolean {
  return !app.redirectUris?.length || app.redirectUris.includes(redirectUri);
}

/** RFC 7636: whether `verifier` answers the challenge sent with the authorization request. */
export function pkceMatches(challenge: string, method: string, verifier: string): boolean {
  return method === 'plain' ? verifier === challenge : pkceChallenge(verifier) === challenge;
}

/** Faults queued by failNext; each is spent on the first API request whose path it matches. */
export class FaultQueue {
  private readonly queued: Array<{ fault: FakeFault; pattern?: RegExp }> = [];

  push(fault: FakeFault, pattern?: RegExp): void {
    this.queued.push({ fault, pattern });
  }

  take(path: string): FakeFault | undefined {
    const i = this.queued.findIndex(({ pattern }) => {
      if (!pattern) return true;
      pattern.lastIndex = 0; // a /g pattern would otherwise match only every other time
      return pattern.test(path);
    });
    return i < 0 ? undefined : this.queued.splice(i, 1)[0].fault;
  }
}

/** Authorization codes: single use and short-lived, each carrying what its authorize request bound it to. */
export class CodeBook<G> {
  private readonly codes = new Map<string, { grant: G; expiresAt: number }>();

  constructor(
    private readonly ttlSeconds: number,
    private readonly clock: Clock = Date.now,
  ) {}

  issue(grant: G, code: string = randomToken('')): string {
    this.codes.set(code, { grant, expiresAt: this.clock() + this.ttlSeconds * 1000 });
    return code;
  }

  /** The grant of a live code. The code stays usable, so a failed exchange does not burn it. */
  peek(code: string): G | undefined {
    const entry = this.codes.get(code);
    if (entry && this.clock() >= entry.expiresAt) this.codes.delete(code);
    return entry && this.codes.has(code) ? entry.grant : undefined;
  }

  spend(code: string): void {
    this.codes.delete(code);
  }
}

export type TokenLookup<G> = { state: 'valid' | 'expired' | 'revoked'; grant: G } | { state: 'unknown' };

export interface TokenEntry<G> {
  grant: G;
  expiresAt?: number;
  revoked: boolean;
}

/** Issued tokens of one kind (access or refresh), each with the grant it stands for. */
export class TokenBook<G> {
  private readonly tokens = new Map<string, TokenEntry<G>>();

  constructor(private readonly clock: Clock = Date.now) {}

  /** Records a token; `expiresAt` is epoch ms, undefined for one that never expires. */
  add(token: string, grant: G, expiresAt?: number): string {
    this.tokens.set(token, { grant, expiresAt, revoked: false });
    return token;
  }

  lookup(token: string | undefined): TokenLookup<G> {
    const entry = token === undefined ? undefined : this.tokens.get(token);
    if (!entry) return { state: 'unknown' };
    if (entry.revoked) return { state: 'revoked', grant: entry.grant };
    if (entry.expiresAt !== undefined && this.clock() >= entry.expiresAt) {
      return { state: 'expired', grant: entry.grant };
    }
    return { state: 'valid', grant: entry.grant };
  }

  /** Whole seconds until the token expires (never below 0); undefined when unknown or everlasting. */
  secondsLeft(token: string): number | undefined {
    const expiresAt = this.tokens.get(token)?.expiresAt;
    return expiresAt === undefined ? undefined : Math.max(0, Math.floor((expiresAt - this.clock()) / 1000));
  }

  /** Returns whether the token was known. */
  revoke(token: string): boolean {
    const entry = this.tokens.get(token);
    if (entry) entry.revoked = true;
    return entry !== undefined;
  }

  revokeWhere(match: (grant: G) => boolean): void {
    for (const entry of this.tokens.values()) if (match(entry.grant)) entry.revoked = true;
  }

  revokeAll(): void {
    this.revokeWhere(() => true);
  }

  expireAll(): void {
    const now = this.clock();
    for (const entry of this.tokens.values()) entry.expiresAt = Math.min(entry.expiresAt ?? now, now);
  }

  /** Every token with its entry, to save the book (the sandbox keeps its fakes' tokens across restarts). */
  entries(): Array<[string, TokenEntry<G>]> {
    return [...this.tokens];
  }

  /** Puts back a token saved with entries(). */
  restore(token: string, entry: TokenEntry<G>): void {
    this.tokens.set(token, entry);
  }
}

export interface RateWindow {
  limit: number;
  remaining: number;
  /** Epoch seconds at which the window starts afresh. */
  resetAt: number;
  exceeded: boolean;
}

/** Fixed-window call counters, the way platforms that publish "remaining calls" keep them. */
export class RateWindows {
  private readonly windows = new Map<string, { start: number; used: number }>();

  constructor(
    private readonly windowSeconds: number,
    private readonly clock: Clock = Date.now,
  ) {}

  /** Counts one call against `key`; `remaining` is what is left after it. */
  hit(key: string, limit: number): RateWindow {
    const now = this.clock();
    const windowMs = this.windowSeconds * 1000;
    let window = this.windows.get(key);
    if (!window || now >= window.start + windowMs) {
      window = { start: now, used: 0 };
      this.windows.set(key, window);
    }
    window.used += 1;
    return {
      limit,
      remaining: Math.max(0, limit - window.used),
      resetAt: Math.ceil((window.start + windowMs) / 1000),
      exceeded: window.used > limit,
    };
  }
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A small HTML page; `bodyHtml` must already be escaped. */
export function htmlPage(status: number, title: string, bodyHtml: string): FakeResponse {
  return {
    status,
    headers: { 'content-type': 'text/html; charset=utf-8' },
    body: `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body>${bodyHtml}</body></html>`,
  };
}

/**
 * The query parameter the interactive consent page adds to the authorize URL to carry the person's
 * choice, so the authorize endpoint re-checks the whole request when the choice comes back.
 */
export const CONSENT_PARAM = 'fake_consent';

export function consentDecision(url: URL): 'allow' | 'deny' | undefined {
  const choice = url.searchParams.get(CONSENT_PARAM);
  return choice === 'allow' || choice === 'deny' ? choice : undefined;
}

/** The "Allow" / "Deny" page shown instead of auto-consent, for people clicking through the sandbox. */
export function consentPage(platform: string, clientId: string, scopes: string[], url: URL): FakeResponse {
  const link = (choice: 'allow' | 'deny'): string => {
    const target = new URL(url.toString());
    target.searchParams.set(CONSENT_PARAM, choice);
    return escapeHtml(`${target.pathname}${target.search}`);
  };
  const scopeList = scopes.map((s) => `<li>${escapeHtml(s)}</li>`).join('');
  return htmlPage(
    200,
    `${platform} (fake): authorize ${clientId}`,
    `<h1>${escapeHtml(platform)} (fake)</h1><p>App <code>${escapeHtml(clientId)}</code> asks for:</p>` +
      `<ul>${scopeList}</ul><p><a id="allow" href="${link('allow')}">Allow</a> ` +
      `<a id="deny" href="${link('deny')}">Deny</a></p>`,
  );
}

// ---------------------------------------------------------------------------------------------
// Seeded report data: stable numbers, UTC calendar days and opaque cursors.

/** A stable integer in [min, max] derived from the parts, so seeded report data is the same on every run. */
export function seededInt(min: number, max: number, ...parts: string[]): number {
  const n = createHash('sha256').update(parts.join('\u0000')).digest().readUInt32BE(0);
  return min + (n % (max - min + 1));
}

/** YYYY-MM-DD (UTC) of an epoch-milliseconds time. */
export function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The YYYY-MM-DD day `days` after (before, when negative) the given one. */
export function addDays(day: string, days: number): string {
  return isoDay(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000);
}

/** Whether a string is a real YYYY-MM-DD calendar day. */
export function isIsoDay(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const ms = Date.parse(`${value}T00:00:00Z`);
  return !Number.isNaN(ms) && isoDay(ms) === value;
}

/** Every day from `since` to `until`, both included; empty when until is before since. */
export function daysBetween(since: string, until: string): string[] {
  const days: string[] = [];
  for (let d = since; d <= until; d = addDays(d, 1)) days.push(d);
  return days;
}

/** An opaque paging cursor carrying a JSON value (platform cursors are opaque base64 too). */
export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

/** The value inside a cursor from encodeCursor; undefined when it is not one. */
export function decodeCursor(cursor: string): unknown {
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}
