import { PlatformFamilyModule } from '../module/family';
import { xApi } from './api';
import { xAppProbe } from './verify';
import { xDefinitions } from './definition';
import { xOperations } from './operations';

export const xFamily: PlatformFamilyModule = {
  family: 'x',
  definitions: xDefinitions,
  operations: xOperations,
  appProbe: xAppProbe,
  api: xApi,
};
