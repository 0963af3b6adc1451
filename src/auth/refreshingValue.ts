// A value fetched from the identity provider and kept past its lifetime: once one load has succeeded, callers
// are always answered from what is held, and a stale value is refreshed in the background. So an outage of the
// provider, or a caller who makes us ask it too often, never turns accepted tokens into refusals.

export interface RefreshingValueOptions {
  /** After this long the value is refreshed in the background (and still served meanwhile). */
  maxAgeMs: number;
  /** After a failed load, no new load starts for this long: the provider's outage is not ours to amplify. */
  retryAfterFailureMs: number;
  now?: () => number;
}

export class RefreshingValue<T> {
  private held?: { value: T; loadedAt: number };
  private pending?: Promise<T>;
  private failure?: { error: unknown; at: number };
  private readonly now: () => number;

  constructor(
    private readonly load: () => Promise<T>,
    private readonly options: RefreshingValueOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** The value held (refreshing it in the background when stale), or the first one, loaded now. */
  async get(): Promise<T> {
    const held = this.held;
    if (!held) {
      if (this.pending) return this.pending;
      if (this.failure && this.now() - this.failure.at < this.options.retryAfterFailureMs) {
        throw this.failure.error;
      }
      return this.refresh();
    }
    if (this.now() - held.loadedAt >= this.options.maxAgeMs && this.mayLoad()) {
      this.refresh().catch(() => undefined);
    }
    return held.value;
  }

  /** The value held, if any, without loading. */
  peek(): T | undefined {
    return this.held?.value;
  }

  /** Loads now, or joins the load under way. Rejects when the load fails; what was held stays. */
  refresh(): Promise<T> {
    if (this.pending) return this.pending;
    const pending = this.load().then(
      (value) => {
        this.held = { value, loadedAt: this.now() };
        this.failure = undefined;
        this.pending = undefined;
        return value;
      },
      (error: unknown) => {
        this.failure = { error, at: this.now() };
        this.pending = undefined;
        throw error;
      },
    );
    this.pending = pending;
    return pending;
  }

  /** The load under way, if any. */
  get loading(): Promise<T> | undefined {
    return this.pending;
  }

  private mayLoad(): boolean {
    if (this.pending) return false;
    return !this.failure || this.now() - this.failure.at >= this.options.retryAfterFailureMs;
  }
}
