import { checkedBody } from '../http/body';
import { ConfigurationInput, ConfigurationPatchInput } from '../openapi/configurations';
import { principalOf, RequestContext } from '../http/context';
import { success } from '../http/envelope';
import { listQuery, pageResponse } from '../http/listQuery';
import {
  createConfiguration,
  getConfiguration,
  listTenantConfigurations,
  removeConfiguration,
  updateConfiguration,
  verifyConfiguration,
} from '../services/configurations';

const etagHeader = (etag: string): Record<string, string> => (etag ? { ETag: etag } : {});

export async function createConfig(ctx: RequestContext) {
  const { tenantId } = principalOf(ctx);
  const { view, etag } = await createConfiguration(tenantId, await checkedBody<ConfigurationInput>(ctx));
  return success(ctx.requestId, view, {
    status: 201,
    headers: { ...etagHeader(etag), Location: `/api/v1/connectors/configs/${view.id}` },
  });
}

export async function listConfigs(ctx: RequestContext) {
  return pageResponse(ctx, await listTenantConfigurations(principalOf(ctx).tenantId, listQuery(ctx)));
}

export async function getConfig(ctx: RequestContext) {
  const { view, etag } = await getConfiguration(principalOf(ctx).tenantId, ctx.params.id);
  return success(ctx.requestId, view, { headers: etagHeader(etag) });
}

export async function getConfigSecretsMasked(ctx: RequestContext) {
  const { view, etag } = await getConfiguration(principalOf(ctx).tenantId, ctx.params.id);
  return success(ctx.requestId, view.config, { headers: etagHeader(etag) });
}

export async function patchConfig(ctx: RequestContext) {
  const ifMatch = ctx.request.headers.get('if-match') ?? undefined;
  const { view, etag } = await updateConfiguration(
    principalOf(ctx).tenantId,
    ctx.params.id,
    await checkedBody<ConfigurationPatchInput>(ctx),
    ifMatch,
  );
  return success(ctx.requestId, view, { headers: etagHeader(etag) });
}

export async function deleteConfig(ctx: RequestContext) {
  await removeConfiguration(principalOf(ctx).tenantId, ctx.params.id);
  return success(ctx.requestId, { id: ctx.params.id, deleted: true });
}

export async function verifyConfig(ctx: RequestContext) {
  const { view, etag, verified } = await verifyConfiguration(principalOf(ctx).tenantId, ctx.params.id);
  return success(ctx.requestId, { ...view, verified }, { headers: etagHeader(etag) });
}
