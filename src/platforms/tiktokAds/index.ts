import { PlatformFamilyModule } from '../family';
import { tiktokAdsApi } from './api';
import { tiktokAdsAppProbe } from './verify';

export const tiktokAdsFamily: PlatformFamilyModule = {
  appProbe: tiktokAdsAppProbe,
  api: tiktokAdsApi,
};
