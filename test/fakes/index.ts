// Starts every platform fake, each on its own loopback port, and gathers the settings that point the
// service at them: one call for the sandbox and the end-to-end tests.
import { GoogleFake } from './google';
import { LinkedInFake } from './linkedin';
import { MetaFake } from './meta';
import { TikTokFake } from './tiktok';
import { PlatformFake } from './types';
import { XFake } from './x';

export { GoogleFake, LinkedInFake, MetaFake, TikTokFake, XFake };

export interface StartAllFakesOptions {
  /** Show an Allow / Deny page at every authorize endpoint instead of consenting at once. */
  interactiveConsent?: boolean;
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
  const shared = { interactiveConsent: options.interactiveConsent };
  const settled = await Promise.allSettled<PlatformFake>([
    MetaFake.start(shared),
    GoogleFake.start(shared),
    XFake.start(shared),
    LinkedInFake.start(shared),
    TikTokFake.start(shared),
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
