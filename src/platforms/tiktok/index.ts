import { callApi } from '../api';
import { field, platformRequest } from '../http';
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
  revoke: async (context, app, tokens) => {
    const url = context.definition.endpoints.revoke;
    if (!url) return;
    await platformRequest({
      method: 'POST',
      url,
      form: { client_key: app.clientId, client_secret: app.clientSecret, token: tokens.access_token },
    });
  },
};
