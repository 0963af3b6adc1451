import { callApi } from '../api';
import { PlatformFamilyModule } from '../family';
import { metaApi } from './api';
import { metaGrantEnd } from './grant';
import { metaAppProbe } from './verify';

export const metaFamily: PlatformFamilyModule = {
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
