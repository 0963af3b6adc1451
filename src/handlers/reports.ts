import { jsonObject } from '../http/body';
import { principalOf, RequestContext } from '../http/context';
import { success } from '../http/envelope';
import { crossReport } from '../services/crossReports';
import { reportingFields } from '../services/reportingFields';

export async function reportsAcrossConnections(ctx: RequestContext) {
  const body = await jsonObject(ctx);
  return success(ctx.requestId, await crossReport(principalOf(ctx).tenantId, body));
}

export async function reportingFieldCatalog(ctx: RequestContext) {
  return success(ctx.requestId, reportingFields());
}
