// Each family's operations module. Adding a family is a module under src/platforms/<family>/ and a line here.
import { PlatformFamily } from '../../catalog/types';
import { googleOperations } from '../google/operations';
import { linkedinOperations } from '../linkedin/operations';
import { metaOperations } from '../meta/operations';
import { FamilyOperations } from '../operations';
import { tiktokOperations } from '../tiktok/operations';
import { tiktokAdsOperations } from '../tiktokAds/operations';
import { xOperations } from '../x/operations';

export const familyOperations: Record<PlatformFamily, FamilyOperations> = {
  meta: metaOperations,
  google: googleOperations,
  x: xOperations,
  linkedin: linkedinOperations,
  tiktok: tiktokOperations,
  tiktok_ads: tiktokAdsOperations,
};
