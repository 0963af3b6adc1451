// The native `query` of the TikTok Ads type, as a JSON Schema: one synchronous report of
// GET /report/integrated/get/ in TikTok's own names (data levels, dimensions, metrics).
export const DATA_LEVELS = ['AUCTION_ADVERTISER', 'AUCTION_CAMPAIGN', 'AUCTION_ADGROUP', 'AUCTION_AD'];
/** The ID dimensions of a BASIC report (one, matching the data level) and its daily time dimension. */
export const BASIC_DIMENSIONS = ['advertiser_id', 'campaign_id', 'adgroup_id', 'ad_id', 'stat_time_day'];
/** TikTok's page_size bounds for a synchronous report. */
export const MAX_PAGE_SIZE = 1000;
const DAY = '^[0-9]{4}-[0-9]{2}-[0-9]{2}$';

export const tiktokAdsQuerySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['dimensions', 'metrics'],
  dependentRequired: { start_date: ['end_date'], end_date: ['start_date'] },
  properties: {
    report_type: {
      enum: ['BASIC'],
      description: 'BASIC (the default): performance by the entity of the data level',
    },
    data_level: {
      enum: DATA_LEVELS,
      description:
        'The entity rows are about (AUCTION_CAMPAIGN by default); its ID must be among the dimensions',
    },
    dimensions: {
      type: 'array',
      minItems: 1,
      maxItems: 2,
      uniqueItems: true,
      items: { enum: BASIC_DIMENSIONS },
      description: 'One ID dimension matching data_level, optionally with stat_time_day (daily rows)',
    },
    metrics: {
      type: 'array',
      minItems: 1,
      maxItems: 100,
      uniqueItems: true,
      items: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,63}$' },
      description: "TikTok's metric names (spend, impressions, clicks, reach, conversion, campaign_name…)",
    },
    start_date: {
      type: 'string',
      pattern: DAY,
      description:
        "YYYY-MM-DD in the advertiser's time zone; with stat_time_day at most 30 days before end_date",
    },
    end_date: { type: 'string', pattern: DAY, description: 'YYYY-MM-DD, inclusive' },
    query_lifetime: { type: 'boolean', description: 'true: lifetime figures, no dates (no stat_time_day)' },
    page_size: {
      type: 'integer',
      minimum: 1,
      maximum: MAX_PAGE_SIZE,
      description: `Rows per page (TikTok: 1 to ${MAX_PAGE_SIZE}; 100 by default here)`,
    },
    advertiser_id: {
      type: 'string',
      pattern: '^[0-9]{1,32}$',
      description: "The advertiser; by default the session's account, else the configuration's advertiser_id",
    },
    order_field: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,63}$', description: 'A metric to sort by' },
    order_type: { enum: ['ASC', 'DESC'] },
  },
} as const;

/** No executes: TikTok Ads is read-only here. */
export const tiktokAdsOperationSchemas = { query: tiktokAdsQuerySchema, execute: {} } as const;
