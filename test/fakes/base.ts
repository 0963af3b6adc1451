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

  async close(): Promise<void> {
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
