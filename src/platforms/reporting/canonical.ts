// The unified report's vocabulary, declared once: canonical metrics and dimensions with their units and
// whether they add up. Each family maps them to its own fields in src/platforms/<family>/report.ts; the
// field catalog (GET /v1/connectors/reporting/fields) is generated from these and those mappings.

export const BASE_METRICS = [
  'spend',
  'impressions',
  'clicks',
  'conversions',
  'conversion_value',
  'reach',
  'video_views',
] as const;
export const DERIVED_METRICS = ['ctr', 'cpc', 'cpm', 'cpa', 'roas'] as const;
export const DIMENSIONS = ['date', 'account', 'campaign', 'ad_group', 'ad', 'country', 'device'] as const;
export const INCREMENTS = ['day', 'week', 'month', 'all'] as const;

export type BaseMetric = (typeof BASE_METRICS)[number];
export type DerivedMetric = (typeof DERIVED_METRICS)[number];
export type Metric = BaseMetric | DerivedMetric;
export type Dimension = (typeof DIMENSIONS)[number];
export type Increment = (typeof INCREMENTS)[number];

export type Unit = 'currency' | 'count' | 'ratio';

export interface MetricInfo {
  description: string;
  unit: Unit;
  /** Whether figures of two buckets or entities may be summed. */
  additive: boolean;
  /** Derived metrics: the base metrics they are computed from, per row. */
  from?: BaseMetric[];
}

export const METRIC_INFO: Record<Metric, MetricInfo> = {
  spend: { description: 'Amount spent, in the account currency', unit: 'currency', additive: true },
  impressions: { description: 'Times an ad was shown', unit: 'count', additive: true },
  clicks: { description: 'Link (destination) clicks', unit: 'count', additive: true },
  conversions: {
    description: 'Conversions by the definition in data.report.conversions (may be fractional)',
    unit: 'count',
    additive: true,
  },
  conversion_value: {
    description: 'Value of those conversions, in the account currency',
    unit: 'currency',
    additive: true,
  },
  reach: {
    description: 'People reached in the bucket; never summed across buckets',
    unit: 'count',
    additive: false,
  },
  video_views: {
    description: 'Video views, by the platform’s own definition',
    unit: 'count',
    additive: true,
  },
  ctr: {
    description: 'clicks / impressions (a fraction, not percent)',
    unit: 'ratio',
    additive: false,
    from: ['clicks', 'impressions'],
  },
  cpc: { description: 'spend / clicks', unit: 'currency', additive: false, from: ['spend', 'clicks'] },
  cpm: {
    description: 'spend / impressions × 1000',
    unit: 'currency',
    additive: false,
    from: ['spend', 'impressions'],
  },
  cpa: {
    description: 'spend / conversions',
    unit: 'currency',
    additive: false,
    from: ['spend', 'conversions'],
  },
  roas: {
    description: 'conversion_value / spend',
    unit: 'ratio',
    additive: false,
    from: ['conversion_value', 'spend'],
  },
};

export const DIMENSION_INFO: Record<Dimension, { description: string; columns: string[] }> = {
  date: {
    description:
      'First day of the time_increment bucket (YYYY-MM-DD, account time zone; weeks start on Monday, months on the 1st)',
    columns: ['date'],
  },
  account: { description: 'The ad account', columns: ['account_id', 'account_name'] },
  campaign: { description: 'Campaign (LinkedIn: campaign group)', columns: ['campaign_id', 'campaign_name'] },
  ad_group: {
    description: 'Ad group (Meta: ad set; LinkedIn: campaign)',
    columns: ['ad_group_id', 'ad_group_name'],
  },
  ad: { description: 'Ad (LinkedIn: creative)', columns: ['ad_id', 'ad_name'] },
  country: { description: 'Country, ISO 3166-1 alpha-2', columns: ['country_id', 'country_name'] },
  device: { description: 'Device, as the platform names it', columns: ['device_id', 'device_name'] },
};

export const isBaseMetric = (m: string): m is BaseMetric => (BASE_METRICS as readonly string[]).includes(m);
export const isDerivedMetric = (m: string): m is DerivedMetric =>
  (DERIVED_METRICS as readonly string[]).includes(m);
export const isMetric = (m: string): m is Metric => isBaseMetric(m) || isDerivedMetric(m);
export const isDimension = (d: string): d is Dimension => (DIMENSIONS as readonly string[]).includes(d);
