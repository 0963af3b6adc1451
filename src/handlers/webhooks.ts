// Webhook subscriptions of the caller's tenant, their test ping and delivery log.
import { checkedBody } from '../http/body';
import { WebhookInput } from '../openapi/webhooks';
import { principalOf, RequestContext } from '../http/context';
import { success } from '../http/envelope';
import {
  createSubscription,
  getSubscription,
  listDeliveries,
  listSubscriptions,
  removeSubscription,
  testSubscription,
} from '../services/webhooks';

export async function createWebhook(ctx: RequestContext) {
  const view = await createSubscription(principalOf(ctx).tenantId, await checkedBody<WebhookInput>(ctx));
  return success(ctx.requestId, view, {
    status: 201,
    // The signing secret is in this answer only: no cache may keep it.
    headers: { Location: `/api/v1/connectors/webhooks/${view.id}`, 'Cache-Control': 'no-store' },
  });
}

export async function listWebhooks(ctx: RequestContext) {
  const views = await listSubscriptions(principalOf(ctx).tenantId);
  return success(ctx.requestId, views, { metadata: { count: views.length } });
}

export async function getWebhook(ctx: RequestContext) {
  return success(ctx.requestId, await getSubscription(principalOf(ctx).tenantId, ctx.params.id));
}

export async function deleteWebhook(ctx: RequestContext) {
  await removeSubscription(principalOf(ctx).tenantId, ctx.params.id);
  return success(ctx.requestId, { id: ctx.params.id, deleted: true });
}

export async function testWebhook(ctx: RequestContext) {
  const delivery = await testSubscription(principalOf(ctx).tenantId, ctx.params.id, ctx.invocation);
  return success(ctx.requestId, delivery, { status: 202 });
}

export async function listWebhookDeliveries(ctx: RequestContext) {
  const views = await listDeliveries(principalOf(ctx).tenantId, ctx.params.id);
  return success(ctx.requestId, views, { metadata: { count: views.length } });
}
