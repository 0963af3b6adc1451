// The operations inputs of the Meta types, as JSON Schemas: ids are digits (so no id can change a
// request path), dates are YYYY-MM-DD, names of fields and metrics are plain identifiers.
const DIGITS = { type: 'string', pattern: '^[0-9]{1,32}$' } as const;
const DATE = { type: 'string', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' } as const;
const NAMES = {
  type: 'array',
  minItems: 1,
  maxItems: 50,
  items: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,63}$' },
} as const;

export const META_DATE_PRESETS = [
  'today',
  'yesterday',
  'this_month',
  'last_month',
  'this_quarter',
  'last_quarter',
  'this_year',
  'last_year',
  'last_3d',
  'last_7d',
  'last_14d',
  'last_28d',
  'last_30d',
  'last_90d',
  'this_week_mon_today',
  'last_week_mon_sun',
  'maximum',
] as const;

export const metaQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    resource: {
      enum: ['insights', 'page_insights', 'instagram_insights'],
      description: 'insights: ad account reporting; page_insights / instagram_insights: organic metrics',
    },
    account_id: { type: 'string', pattern: '^(act_)?[0-9]{1,32}$', description: 'Ad account (insights)' },
    fields: { ...NAMES, description: 'Insights fields, e.g. impressions, spend, clicks, campaign_name' },
    level: { enum: ['account', 'campaign', 'adset', 'ad'] },
    date_preset: { enum: META_DATE_PRESETS },
    time_range: {
      type: 'object',
      additionalProperties: false,
      required: ['since', 'until'],
      properties: { since: DATE, until: DATE },
    },
    time_increment: {
      oneOf: [{ type: 'integer', minimum: 1, maximum: 90 }, { enum: ['monthly', 'all_days'] }],
    },
    breakdowns: NAMES,
    limit: { type: 'integer', minimum: 1, maximum: 500 },
    page_id: { ...DIGITS, description: 'Page (page_insights)' },
    ig_user_id: { ...DIGITS, description: 'Instagram business account (instagram_insights)' },
    metrics: {
      ...NAMES,
      description: 'page_insights / instagram_insights metrics, e.g. page_post_engagements, reach',
    },
    period: { enum: ['day', 'week', 'days_28', 'lifetime'] },
    since: DATE,
    until: DATE,
  },
  not: { required: ['date_preset', 'time_range'] },
} as const;

const publishPost = {
  type: 'object',
  additionalProperties: false,
  required: ['page_id', 'message'],
  properties: {
    page_id: DIGITS,
    message: { type: 'string', minLength: 1, maxLength: 63206 },
    link: { type: 'string', pattern: '^https?://', maxLength: 2048 },
  },
} as const;

const publishInstagramMedia = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ig_user_id: DIGITS,
    image_url: { type: 'string', pattern: '^https://', maxLength: 2048 },
    video_url: { type: 'string', pattern: '^https://', maxLength: 2048 },
    caption: { type: 'string', maxLength: 2200 },
    // VIDEO was retired on 2023-11-09: videos are published as REELS.
    media_type: { enum: ['IMAGE', 'REELS'] },
  },
  oneOf: [{ required: ['image_url'] }, { required: ['video_url'] }],
} as const;

export const metaExecute = {
  publish_post: { description: "Publish a post to a Page, with the Page's own token", params: publishPost },
  publish_instagram_media: {
    description:
      'Publish an image or a video (as a Reel) to an Instagram business account. A video takes minutes to process: the answer is then 202 with status in_progress and the container id; message publish_status (or the same execute again) checks once and publishes it when ready.',
    params: publishInstagramMedia,
  },
} as const;

/** Each Meta type's operations: the same queries; Facebook publishes to Pages, Instagram to its accounts. */
export const metaOperationSchemas = { query: metaQuerySchema, execute: metaExecute } as const;
export const facebookOperationSchemas = {
  query: metaQuerySchema,
  execute: { publish_post: metaExecute.publish_post },
} as const;
export const instagramOperationSchemas = {
  query: metaQuerySchema,
  execute: { publish_instagram_media: metaExecute.publish_instagram_media },
} as const;
