// The platform families. Adding one is a module under src/platforms/<family>/ and a line here.
import { PlatformFamily } from '../../catalog/types';
import { PlatformFamilyModule } from '../family';
import { googleFamily } from '../google';
import { linkedinFamily } from '../linkedin';
import { metaFamily } from '../meta';
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
