import { jsonObject } from '../http/body';
import { principalOf, RequestContext } from '../http/context';
import { success } from '../http/envelope';
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
  const { view, etag } = await createConfiguration(tenantId, await jsonObject(ctx));
  return success(ctx.requestId, view, {
    status: 201,
    headers: { ...etagHeader(etag), Location: `/api/v1/connectors/configs/${view.id}` },
  });
}

export async function listConfigs(ctx: RequestContext) {
  const { tenantId } = principalOf(ctx);
  const page = await listTenantConfigurations(tenantId, {
    type: ctx.query.get('type') ?? undefined,
    status: ctx.query.get('status') ?? undefined,
    limit: ctx.query.get('limit') ?? undefined,
    continuationToken: ctx.query.get('continuation_token') ?? undefined,
  });
  return success(ctx.requestId, page.views, {
    metadata: { count: page.views.length, continuation_token: page.continuationToken ?? null },
  });
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
    await jsonObject(ctx),
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
