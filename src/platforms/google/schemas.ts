// The operations inputs of the Google types, as JSON Schemas: customer ids are 10 digits, campaign ids
// digits, video ids YouTube's 11 characters (so no id can change a request path), dates are YYYY-MM-DD,
// Analytics metrics and dimensions plain identifiers.
const CUSTOMER_ID = {
  type: 'string',
  pattern: '^[0-9]{10}$',
  description: 'A Google Ads customer id: 10 digits, no dashes. The session account by default.',
} as const;
const DATE = { type: 'string', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' } as const;
const IDENTIFIER = '[A-Za-z][A-Za-z0-9]{0,63}';
const IDENTIFIERS = (maxItems: number, description: string) =>
  ({
    type: 'array',
    minItems: 1,
    maxItems,
    uniqueItems: true,
    items: { type: 'string', pattern: `^${IDENTIFIER}$` },
    description,
  }) as const;

export const googleAdsQuerySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['gaql'],
  properties: {
    gaql: {
      type: 'string',
      minLength: 1,
      maxLength: 16384,
      // GAQL is read-only by design; this only makes sure the text is a query at all.
      pattern: '^\\s*[Ss][Ee][Ll][Ee][Cc][Tt]\\s',
      description:
        'A Google Ads Query Language query, e.g. SELECT campaign.id, metrics.clicks FROM campaign WHERE segments.date DURING LAST_7_DAYS',
    },
    customer_id: CUSTOMER_ID,
  },
} as const;

const updateCampaignStatus = {
  type: 'object',
  additionalProperties: false,
  required: ['campaign_id', 'status'],
  properties: {
    customer_id: CUSTOMER_ID,
    campaign_id: { type: 'string', pattern: '^[0-9]{1,20}$', description: 'The campaign id (digits).' },
    status: { enum: ['ENABLED', 'PAUSED'] },
  },
} as const;

export const googleAdsExecute = {
  update_campaign_status: {
    description:
      'Enable or pause a campaign (campaigns:mutate with updateMask status); returns its resource name',
    params: updateCampaignStatus,
  },
} as const;

export const youtubeQuerySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['metrics', 'start_date', 'end_date'],
  properties: {
    resource: {
      enum: ['reports'],
      description: 'reports: YouTube Analytics v2 channel reports (the default)',
    },
    metrics: IDENTIFIERS(50, 'Analytics metrics, e.g. views, estimatedMinutesWatched, likes'),
    dimensions: IDENTIFIERS(10, 'Analytics dimensions, e.g. day, month'),
    start_date: DATE,
    end_date: DATE,
    max_results: {
      type: 'integer',
      minimum: 1,
      maximum: 10000,
      description: 'Rows per page; without it the whole report comes in one page',
    },
    sort: {
      type: 'array',
      minItems: 1,
      maxItems: 10,
      items: { type: 'string', pattern: `^-?${IDENTIFIER}$` },
      description: 'Sort columns; a leading - sorts descending, e.g. ["-views"]',
    },
  },
} as const;

const updateVideo = {
  type: 'object',
  additionalProperties: false,
  required: ['video_id', 'title', 'category_id'],
  properties: {
    video_id: { type: 'string', pattern: '^[A-Za-z0-9_-]{11}$', description: 'The 11-character video id.' },
    title: { type: 'string', minLength: 1, maxLength: 100 },
    category_id: { type: 'string', pattern: '^[0-9]{1,4}$', description: 'A video category id, e.g. 22.' },
    description: { type: 'string', maxLength: 5000 },
  },
} as const;

export const youtubeExecute = {
  update_video: {
    description:
      "Update a video's title, category and description; the other snippet fields (tags, default language) are kept",
    params: updateVideo,
  },
} as const;

export const googleAdsOperationSchemas = { query: googleAdsQuerySchema, execute: googleAdsExecute } as const;
export const youtubeOperationSchemas = { query: youtubeQuerySchema, execute: youtubeExecute } as const;
