// Starts every platform fake, each on its own loopback port, and gathers the settings that point the
// service at them: one call for the sandbox and the end-to-end tests.
import { GoogleFake } from './google';
import { LinkedInFake } from './linkedin';
import { MetaFake } from './meta';
import { TikTokFake } from './tiktok';
import { TikTokAdsFake } from './tiktokAds';
import { PlatformFake } from './types';
import { XFake } from './x';

export { GoogleFake, LinkedInFake, MetaFake, TikTokAdsFake, TikTokFake, XFake };

export interface StartAllFakesOptions {
  /** Show an Allow / Deny page at every authorize endpoint instead of consenting at once. */
  interactiveConsent?: boolean;
  /**
   * The first of six consecutive ports, one per fake in this order: Meta, Google, X, LinkedIn, TikTok, TikTok Ads
   * (the sandbox uses fixed ports so its URLs stay the same between runs). 0 or absent: any free port.
   */
  basePort?: number;
}

export interface AllFakes {
  fakes: PlatformFake[];
  /** Every fake's env() merged: CONNECTOR_<TYPE>_* settings for all connector types. */
  env: Record<string, string>;
  close(): Promise<void>;
}

async function closeAll(fakes: PlatformFake[]): Promise<void> {
  await Promise.all(fakes.map((f) => f.close()));
}

/** Two fakes claiming the same setting with different values would silently point a type at the wrong one. */
function mergeEnv(fakes: PlatformFake[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const fake of fakes) {
    for (const [key, value] of Object.entries(fake.env())) {
      if (key in env && env[key] !== value) throw new Error(`Two fakes set ${key}: ${env[key]} and ${value}`);
      env[key] = value;
    }
  }
  return env;
}

export async function startAllFakes(options: StartAllFakesOptions = {}): Promise<AllFakes> {
  const base = options.basePort ?? 0;
  if (!Number.isInteger(base) || base < 0 || base > 65535 - 5) {
    throw new Error(`basePort must be 0 or a port from 1 to 65530, not ${base}`);
  }
  const shared = (i: number) => ({
    interactiveConsent: options.interactiveConsent,
    port: base ? base + i : 0,
  });
  const settled = await Promise.allSettled<PlatformFake>([
    MetaFake.start(shared(0)),
    GoogleFake.start(shared(1)),
    XFake.start(shared(2)),
    LinkedInFake.start(shared(3)),
    TikTokFake.start(shared(4)),
    TikTokAdsFake.start(shared(5)),
  ]);
  const fakes = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  try {
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    return { fakes, env: mergeEnv(fakes), close: () => closeAll(fakes) };
  } catch (err) {
    // Leave no server listening behind a failed start.
    await closeAll(fakes);
    throw err;
  }
}
