import { PlatformFamilyModule } from '../module/family';
import { linkedinApi } from './api';
import { linkedinAppProbe } from './verify';
import { linkedinDefinitions } from './definition';
import { linkedinOperations } from './operations';
import { linkedinReporter } from './report';

export const linkedinFamily: PlatformFamilyModule = {
  family: 'linkedin',
  definitions: linkedinDefinitions,
  operations: linkedinOperations,
  reporters: { linkedin: linkedinReporter },
  appProbe: linkedinAppProbe,
  api: linkedinApi,
};
