import { checkedBody } from '../http/body';
import { ReportsInput } from '../openapi/reports';
import { principalOf, RequestContext } from '../http/context';
import { success } from '../http/envelope';
import { partErrors } from '../http/errors';
import { crossReport } from '../services/crossReports';
import { reportingFields } from '../services/reportingFields';

export async function reportsAcrossConnections(ctx: RequestContext) {
  const body = await checkedBody<ReportsInput>(ctx);
  const { rows, reports, failures, next_cursor } = await crossReport(principalOf(ctx).tenantId, body);
  return success(ctx.requestId, { rows, reports, errors: partErrors(failures), next_cursor });
}

export async function reportingFieldCatalog(ctx: RequestContext) {
  return success(ctx.requestId, reportingFields());
}
