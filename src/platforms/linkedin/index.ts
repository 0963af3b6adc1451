import { callApi } from '../api';
import { field } from '../http';
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
};
