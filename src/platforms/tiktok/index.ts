import { callApi } from '../api';
import { field } from '../http';
import { PlatformFamilyModule } from '../family';
import { tiktokApi } from './api';
import { tiktokAppProbe } from './verify';

export const tiktokFamily: PlatformFamilyModule = {
  appProbe: tiktokAppProbe,
  api: tiktokApi,
  identity: async (context, token) => {
    const res = await callApi(tiktokApi, context, token, {
      method: 'GET',
      url: `${context.definition.endpoints.api}/user/info/`,
      query: { fields: 'open_id,union_id,avatar_url,display_name' },
    });
    const openId = field(res.body, 'data', 'user', 'open_id');
    const name = field(res.body, 'data', 'user', 'display_name');
    return typeof openId === 'string'
      ? { id: openId, name: typeof name === 'string' ? name : undefined }
      : undefined;
  },
};
