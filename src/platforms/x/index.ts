import { callApi } from '../api';
import { field } from '../http';
import { PlatformFamilyModule } from '../family';
import { xApi } from './api';
import { xAppProbe } from './verify';

export const xFamily: PlatformFamilyModule = {
  appProbe: xAppProbe,
  api: xApi,
  identity: async (context, token) => {
    const res = await callApi(xApi, context, token, {
      method: 'GET',
      url: `${context.definition.endpoints.api}/users/me`,
    });
    const id = field(res.body, 'data', 'id');
    const username = field(res.body, 'data', 'username');
    return typeof id === 'string'
      ? { id, name: typeof username === 'string' ? `@${username}` : undefined }
      : undefined;
  },
};
