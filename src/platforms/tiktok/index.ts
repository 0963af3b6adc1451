import { PlatformFamilyModule } from '../family';
import { tiktokApi } from './api';
import { tiktokAppProbe } from './verify';

export const tiktokFamily: PlatformFamilyModule = {
  appProbe: tiktokAppProbe,
  api: tiktokApi,
};
