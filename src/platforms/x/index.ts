import { PlatformFamilyModule } from '../family';
import { xApi } from './api';
import { xAppProbe } from './verify';

export const xFamily: PlatformFamilyModule = {
  appProbe: xAppProbe,
  api: xApi,
};
