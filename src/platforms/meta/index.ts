import { callApi } from '../api';
import { PlatformFamilyModule } from '../module/family';
import { metaApi } from './api';
import { metaGrantEnd } from './grant';
import { metaAppProbe } from './verify';
import { metaDefinitions } from './definition';
import { metaOperations } from './operations';
import { metaReporter } from './report';

export const metaFamily: PlatformFamilyModule = {
  family: 'meta',
  definitions: metaDefinitions,
  operations: metaOperations,
  reporters: { meta: metaReporter },
  appProbe: metaAppProbe,
  api: metaApi,
  // Removing the app's permissions is how Meta revokes a user's grant.
  revoke: async (context, _app, tokens) => {
    await callApi(metaApi, context, tokens.access_token, {
      method: 'DELETE',
      url: `${context.definition.endpoints.api}/me/permissions`,
    });
  },
  grantEnd: metaGrantEnd,
};
