import { PlatformFamilyModule } from '../family';
import { linkedinApi } from './api';
import { linkedinAppProbe } from './verify';

export const linkedinFamily: PlatformFamilyModule = {
  appProbe: linkedinAppProbe,
  api: linkedinApi,
};
