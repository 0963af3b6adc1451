import { PlatformFamilyModule } from '../module/family';
import { tiktokAdsApi } from './api';
import { tiktokAdsAppProbe } from './verify';
import { tiktokAdsDefinitions } from './definition';
import { tiktokAdsOperations } from './operations';
import { tiktokAdsReporter } from './report';

export const tiktokAdsFamily: PlatformFamilyModule = {
  family: 'tiktok_ads',
  definitions: tiktokAdsDefinitions,
  operations: tiktokAdsOperations,
  appProbe: tiktokAdsAppProbe,
  api: tiktokAdsApi,
  reporters: { tiktok_ads: tiktokAdsReporter },
};
