import { callApi } from '../api';
import { field } from '../http';
import { PlatformFamilyModule } from '../family';
import { metaApi } from './api';
import { metaAppProbe } from './verify';

export const metaFamily: PlatformFamilyModule = {
  appProbe: metaAppProbe,
  api: metaApi,
  identity: async (context, token) => {
    const res = await callApi(metaApi, context, token, {
      method: 'GET',
      url: `${context.definition.endpoints.api}/me`,
      query: { fields: 'id,name' },
    });
    const id = field(res.body, 'id');
    return typeof id === 'string'
      ? { id, name: String(field(res.body, 'name') ?? '') || undefined }
      : undefined;
  },
  // Removing the app's permissions is how Meta revokes a user's grant.
  revoke: async (context, _app, tokens) => {
    await callApi(metaApi, context, tokens.access_token, {
      method: 'DELETE',
      url: `${context.definition.endpoints.api}/me/permissions`,
    });
  },
};
