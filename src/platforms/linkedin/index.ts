import { callApi } from '../api';
import { field, platformRequest } from '../http';
import { PlatformFamilyModule } from '../family';
import { linkedinApi } from './api';
import { linkedinAppProbe } from './verify';

export const linkedinFamily: PlatformFamilyModule = {
  appProbe: linkedinAppProbe,
  api: linkedinApi,
  identity: async (context, token) => {
    const res = await callApi(linkedinApi, context, token, {
      method: 'GET',
      url: `${context.definition.endpoints.api}/v2/userinfo`,
    });
    const sub = field(res.body, 'sub');
    return typeof sub === 'string'
      ? { id: sub, name: String(field(res.body, 'name') ?? '') || undefined }
      : undefined;
  },
  revoke: async (context, app, tokens) => {
    const url = context.definition.endpoints.revoke;
    if (!url) return;
    await platformRequest({
      method: 'POST',
      url,
      form: { client_id: app.clientId, client_secret: app.clientSecret, token: tokens.access_token },
    });
  },
};
