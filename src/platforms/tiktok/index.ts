import { PlatformFamilyModule } from '../module/family';
import { tiktokApi } from './api';
import { tiktokAppProbe } from './verify';
import { tiktokDefinitions } from './definition';
import { tiktokOperations } from './operations';

export const tiktokFamily: PlatformFamilyModule = {
  family: 'tiktok',
  definitions: tiktokDefinitions,
  operations: tiktokOperations,
  appProbe: tiktokAppProbe,
  api: tiktokApi,
};
