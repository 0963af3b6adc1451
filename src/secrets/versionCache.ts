import { SecretBundle } from './secretStore';

/**
 * Secret bundles by name and version. Versions never change, so an entry can only be too old to keep,
 * never wrong; it is kept a few minutes so a busy record costs the vault about one read per few minutes.
 */
export class VersionCache {
  private readonly entries = new Map<string, { bundle: SecretBundle; expiresAt: number }>();

  constructor(
    private readonly ttlMs = 5 * 60 * 1000,
    private readonly maxEntries = 5000,
  ) {}

  get(name: string, version: string): SecretBundle | undefined {
    const key = `${name}@${version}`;
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    if (hit.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return { ...hit.bundle };
  }

  set(name: string, version: string, bundle: SecretBundle): void {
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(`${name}@${version}`, { bundle: { ...bundle }, expiresAt: Date.now() + this.ttlMs });
  }

  /** Forgets every version of a name (after a delete). */
  forget(name: string): void {
    for (const key of this.entries.keys()) if (key.startsWith(`${name}@`)) this.entries.delete(key);
  }
}
