import { callApi } from '../api';
import { field } from '../../platformHttp/client';
import { PlatformFamilyModule } from '../module/family';
import { googleApi } from './api';
import { googleAppProbe } from './verify';
import { googleDefinitions } from './definition';
import { googleOperations } from './operations';
import { googleAdsReporter } from './report';

export const googleFamily: PlatformFamilyModule = {
  family: 'google',
  definitions: googleDefinitions,
  operations: googleOperations,
  reporters: { google_ads: googleAdsReporter },
  appProbe: googleAppProbe,
  api: googleApi,
  // Google Ads has no "me": the first accessible customer stands for the account.
  identity: async (context, token) => {
    const { definition } = context;
    const res = await callApi(googleApi, context, token, {
      method: 'GET',
      url: `${definition.endpoints.api}/customers:listAccessibleCustomers`,
    });
    const names = field(res.body, 'resourceNames');
    const first = Array.isArray(names) ? String(names[0] ?? '') : '';
    return first ? { id: first.replace(/^customers\//, '') } : undefined;
  },
};
