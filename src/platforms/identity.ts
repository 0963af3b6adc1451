// The account a token belongs to: the definition's IdentityCall where it has one, else the family's code.
import { ApiContext, callApi, Identity } from './api';
import { PlatformFamilyModule } from './module/family';
import { field } from '../platformHttp/client';

export async function identityOf(
  family: PlatformFamilyModule,
  context: ApiContext,
  token: string,
): Promise<Identity | undefined> {
  const call = context.definition.identity;
  if (!call) return family.identity?.(context, token);
  const res = await callApi(family.api, context, token, {
    method: 'GET',
    url: `${context.definition.endpoints.api}${call.path}`,
    query: call.query,
  });
  const id = field(res.body, ...call.id);
  const name = call.name ? field(res.body, ...call.name) : undefined;
  return typeof id === 'string' && id
    ? { id, name: typeof name === 'string' && name ? name : undefined }
    : undefined;
}
