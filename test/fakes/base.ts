// What every platform fake does the same way, whatever platform it imitates: its loopback server and
// request log, registered apps, queued faults and the one-shot consent denial. Each fake adds its
// connector types, its settings (env), its token books and its routes.
import {
  Clock,
  emptyStats,
  FakeRequest,
  FakeResponse,
  FakeServer,
  FaultQueue,
  startFakeServer,
  TokenBook,
} from './http';
import { FakeSnapshot, PersistentPart, restoreInto, snapshotOf } from './persistence';
import { FakeApp, FakeConnectorType, FakeFault, PlatformFake } from './types';

/** The options every fake's start() takes besides its own. */
export interface PlatformFakeBaseOptions {
  /** Show an Allow / Deny page at the authorize endpoint instead of consenting at once. */
  interactiveConsent?: boolean;
  /** Time source in epoch ms, so tests can age codes and tokens without sleeping. */
  clock?: Clock;
  /** Delay before every answer, in ms: a platform's round trip, for benchmarks. */
  latencyMs?: number;
}

/** Which requests a hold catches: the path, and optionally the method and a pattern of the body. */
export interface HoldMatch {
  path: RegExp;
  method?: string;
  body?: RegExp;
}

/** Requests held unanswered (a platform that does not answer in time) until released or the fake closes. */
export interface Hold {
  /** How many requests the hold has caught so far. */
  readonly caught: number;
  /** Resolves when the hold has caught its first request. */
  readonly arrived: Promise<void>;
  /** Lets every caught request (and any later one) go on to its answer. */
  release(): void;
}

class RequestHold implements Hold {
  caught = 0;
  released = false;
  readonly arrived: Promise<void>;
  private arrive!: () => void;
  private readonly waiting: Array<() => void> = [];

  constructor(
    readonly match: HoldMatch,
    private remaining: number,
  ) {
    this.arrived = new Promise((resolve) => (this.arrive = resolve));
  }

  catches(req: FakeRequest): boolean {
    const m = this.match;
    return (
      !this.released &&
      this.remaining > 0 &&
      m.path.test(req.path) &&
      (m.method === undefined || m.method === req.method) &&
      (m.body === undefined || m.body.test(req.body))
    );
  }

  wait(): Promise<void> {
    this.remaining--;
    this.caught++;
    this.arrive();
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    this.released = true;
    for (const resume of this.waiting.splice(0)) resume();
  }
}

export abstract class PlatformFakeBase implements PlatformFake {
  abstract readonly types: readonly FakeConnectorType[];
  readonly stats = emptyStats();

  protected readonly clock: Clock;
  protected readonly interactive: boolean;
  private readonly latencyMs: number;
  protected readonly apps = new Map<string, FakeApp>();
  protected readonly faults = new FaultQueue();
  private server: FakeServer | undefined;
  private denyConsent = false;
  private readonly holds: RequestHold[] = [];

  protected constructor(options: PlatformFakeBaseOptions) {
    this.clock = options.clock ?? Date.now;
    this.interactive = options.interactiveConsent ?? false;
    this.latencyMs = options.latencyMs ?? 0;
  }

  get url(): string {
    if (!this.server) throw new Error(`${this.constructor.name} is not started`);
    return this.server.url;
  }

  abstract env(): Record<string, string>;

  addApp(app: FakeApp): void {
    this.apps.set(app.clientId, app);
  }

  denyNextConsent(): void {
    this.denyConsent = true;
  }

  abstract expireAccessTokens(): void;

  abstract revokeAllGrants(): void;

  failNext(fault: FakeFault, pathPattern?: RegExp): void {
    this.faults.push(fault, pathPattern);
  }

  /**
   * Holds the next `count` requests that match (every one when no count) without an answer until the hold is
   * released or the fake closes: a platform too slow for the caller's time budget, without waiting on a clock.
   */
  hold(match: HoldMatch, count = Infinity): Hold {
    const hold = new RequestHold(match, count);
    this.holds.push(hold);
    return hold;
  }

  async close(): Promise<void> {
    for (const hold of this.holds.splice(0)) hold.release();
    await this.server?.close();
  }

  saveState(): string {
    return JSON.stringify(snapshotOf(this.persistentParts()));
  }

  loadState(text: string): void {
    restoreInto(this.persistentParts(), JSON.parse(text) as FakeSnapshot);
  }

  /** What decides whether a token this fake issued is still good (see saveState). */
  protected persistentParts(): Record<string, PersistentPart> {
    return {};
  }

  /** Starts the server (port 0 unless given): every request is logged in stats.requests, then routed. */
  protected async listen(port?: number): Promise<this> {
    this.server = await startFakeServer(async (req) => {
      this.stats.requests.push({ method: req.method, path: req.path });
      if (req.url.searchParams.has('client_secret')) this.stats.secretsInUrl += 1;
      if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
      const hold = this.holds.find((h) => h.catches(req));
      if (hold) await hold.wait();
      return this.route(req);
    }, port);
    return this;
  }

  /** Whether denyNextConsent() was called since the last authorization that asked; asking spends it. */
  protected takeDenial(): boolean {
    const deny = this.denyConsent;
    this.denyConsent = false;
    return deny;
  }

  /** Answers one request, after it is logged. */
  protected abstract route(req: FakeRequest): FakeResponse | Promise<FakeResponse>;
}

/**
 * A fake whose platform issues access tokens with refresh tokens, each bound to a grant of type G:
 * expireAccessTokens() ages every access token and revokeAllGrants() revokes every refresh token.
 */
export abstract class TokenPairFakeBase<G> extends PlatformFakeBase {
  protected readonly accessTokens = new TokenBook<G>(this.clock);
  protected readonly refreshTokens = new TokenBook<G>(this.clock);

  expireAccessTokens(): void {
    this.accessTokens.expireAll();
  }

  revokeAllGrants(): void {
    this.refreshTokens.revokeAll();
  }

  protected override persistentParts(): Record<string, PersistentPart> {
    return { accessTokens: this.accessTokens, refreshTokens: this.refreshTokens };
  }
}
