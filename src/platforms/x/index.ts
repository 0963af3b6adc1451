import { callApi } from '../api';
import { field, platformRequest } from '../http';
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
  revoke: async (context, app, tokens) => {
    const url = context.definition.endpoints.revoke;
    if (!url) return;
    const basic = Buffer.from(
      `${encodeURIComponent(app.clientId)}:${encodeURIComponent(app.clientSecret)}`,
    ).toString('base64');
    const token = tokens.refresh_token ?? tokens.access_token;
    await platformRequest({
      method: 'POST',
      url,
      headers: { authorization: `Basic ${basic}` },
      form: {
        token,
        token_type_hint: tokens.refresh_token ? 'refresh_token' : 'access_token',
        client_id: app.clientId,
      },
    });
  },
};
