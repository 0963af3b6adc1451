// The platform families, one line each. Adding a family is one folder under src/platforms/<family>/ whose
// index.ts exports a PlatformFamilyModule, and its line here: the catalog, the OAuth flow, the operations and
// the reports all read it from this table.
import { PlatformFamily } from '../../catalog/types';
import { googleFamily } from '../google';
import { linkedinFamily } from '../linkedin';
import { metaFamily } from '../meta';
import { PlatformFamilyModule } from '../module/family';
import { tiktokFamily } from '../tiktok';
import { tiktokAdsFamily } from '../tiktokAds';
import { xFamily } from '../x';

export const families: Record<PlatformFamily, PlatformFamilyModule> = {
  meta: metaFamily,
  google: googleFamily,
  x: xFamily,
  linkedin: linkedinFamily,
  tiktok: tiktokFamily,
  tiktok_ads: tiktokAdsFamily,
};

for (const [name, module] of Object.entries(families)) {
  if (module.family !== name || module.definitions.some((d) => d.family !== name))
    throw new Error(
      `The family registered as ${name} is ${module.family}, or defines another family's types.`,
    );
}
