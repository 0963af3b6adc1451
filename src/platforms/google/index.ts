import { callApi } from '../api';
import { field } from '../http';
import { PlatformFamilyModule } from '../family';
import { googleApi } from './api';
import { googleAppProbe } from './verify';

export const googleFamily: PlatformFamilyModule = {
  appProbe: googleAppProbe,
  api: googleApi,
  identity: async (context, token) => {
    const { definition } = context;
    if (definition.type === 'youtube') {
      const res = await callApi(googleApi, context, token, {
        method: 'GET',
        url: `${definition.endpoints.api}/channels`,
        query: { part: 'snippet', mine: 'true' },
      });
      const items = field(res.body, 'items');
      const first = Array.isArray(items) ? items[0] : undefined;
      const id = field(first, 'id');
      return typeof id === 'string'
        ? { id, name: String(field(first, 'snippet', 'title') ?? '') || undefined }
        : undefined;
    }
    // Google Ads has no "me": the first accessible customer stands for the account.
    const res = await callApi(googleApi, context, token, {
      method: 'GET',
      url: `${definition.endpoints.api}/customers:listAccessibleCustomers`,
    });
    const names = field(res.body, 'resourceNames');
    const first = Array.isArray(names) ? String(names[0] ?? '') : '';
    return first ? { id: first.replace(/^customers\//, '') } : undefined;
  },
};
