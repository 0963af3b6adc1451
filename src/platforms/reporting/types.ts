// What a family provides for unified reports: its mapping as data (canonical metric → native field and unit,
// dimension → native level or breakdown, limits, where time zone and currency come from, how long figures
// may still change, the default conversion definition) and the code that turns a slice of a report into
// native calls and native rows back into canonical ones.
import { ConnectorType, JsonSchema } from '../../catalog/types';
import { OperationCall } from '../operations';
import { BaseMetric, Dimension, Increment } from './canonical';

export interface MetricMapping {
  /** The platform's field(s), as the catalog shows them. */
  field: string;
  /** How the native number becomes the canonical one. */
  scale?: 'micros';
  note?: string;
}

export interface DimensionMapping {
  /** The platform's level, breakdown, segment or pivot. */
  field: string;
  note?: string;
}

export interface ReportMapping {
  type: ConnectorType;
  metrics: Partial<Record<BaseMetric, MetricMapping>>;
  dimensions: Partial<Record<Dimension, DimensionMapping>>;
  /** Where the report's dates are reckoned: the account's own zone, or a fixed one (LinkedIn: UTC). */
  timeZone: { source: string; fixed?: string };
  /** Where the account currency comes from. */
  currencySource: string;
  /** Days before today whose figures the platform may still change; and what the number is. */
  restatement: { days: number; note: string };
  /** How far back the platform keeps figures, in days. */
  retentionDays: number;
  /** The longest range one native call may cover, when the platform limits it. */
  maxDaysPerCall?: number;
  /** Limits worth knowing (shown in the field catalog). */
  limits: string[];
  /** The conversion definition used when report.conversions says nothing. */
  defaultConversions: Record<string, unknown>;
  /** JSON Schema of report.conversions for this type. */
  conversionsSchema: JsonSchema;
}

export interface ReportAccount {
  id: string;
  currency: string;
  /** IANA zone the platform reckons the account's days in. */
  timeZone: string;
  /** How the platform is reached for this account (Google: the login-customer-id that worked). */
  via?: string;
  /** The account's name, when the platform's report rows do not carry it (TikTok). */
  name?: string;
}

/** One piece of a report the platform answers on its own: a date range at one native increment. */
export interface ReportSlice {
  since: string;
  until: string;
  increment: Increment;
}

export interface ReportPlan {
  account: ReportAccount;
  /** Base metrics to fetch: those asked for and those the derived ones need. */
  metrics: BaseMetric[];
  dimensions: Dimension[];
  conversions: Record<string, unknown>;
  /** The increment the caller asked for. */
  increment: Increment;
}

/** A row in canonical names, before the shared columns and derived metrics are added. */
export type CanonicalRow = Record<string, string | number | null>;

export interface SlicePage {
  rows: CanonicalRow[];
  /** The platform's position inside the slice (a page token, an async job), when there is more. */
  cursor?: string;
  /** A cursor that reads this same page again, when the one given would not (a job started by this call). */
  here?: string;
  /** The slice is too large for the platform to answer whole: split it by date and ask again. */
  split?: boolean;
  warnings?: string[];
}

export interface FamilyReporter {
  mapping: ReportMapping;
  /** The account the report runs on, with its currency and time zone, as the platform says. */
  account(call: OperationCall, accountId: string | undefined): Promise<ReportAccount>;
  /** Why the platform cannot give these dimensions together, if it cannot. */
  check?(dimensions: Dimension[]): string | undefined;
  /** The range cut into slices the platform answers (weeks aligned on Mondays, its range limits). */
  slices(plan: ReportPlan, since: string, until: string): ReportSlice[];
  /** Days before today whose figures may still change under this conversion definition, when it decides. */
  restatementDays?(conversions: Record<string, unknown>): number;
  /** One page of one slice. */
  page(call: OperationCall, plan: ReportPlan, slice: ReportSlice, cursor?: string): Promise<SlicePage>;
}
