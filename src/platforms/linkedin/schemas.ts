// The operations inputs of the LinkedIn type, as JSON Schemas: ids are the digits of URNs (so no id can
// change a request path or a Rest.li expression), dates are YYYY-MM-DD, metric names are camelCase words.
const DIGITS = { type: 'string', pattern: '^[0-9]{1,20}$' } as const;
const DATE = { type: 'string', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' } as const;

/** adAnalytics takes at most 20 fields (metrics, dateRange and pivotValues together). */
export const LINKEDIN_MAX_FIELDS = 20;

export const LINKEDIN_PIVOTS = [
  'COMPANY',
  'ACCOUNT',
  'SHARE',
  'CAMPAIGN',
  'CREATIVE',
  'CAMPAIGN_GROUP',
  'CONVERSION',
  'CONVERSATION_NODE',
  'CONVERSATION_NODE_OPTION_INDEX',
  'SERVING_LOCATION',
  'CARD_INDEX',
  'MEMBER_COMPANY_SIZE',
  'MEMBER_INDUSTRY',
  'MEMBER_SENIORITY',
  'MEMBER_JOB_TITLE',
  'MEMBER_JOB_FUNCTION',
  'MEMBER_COUNTRY_V2',
  'MEMBER_REGION_V2',
  'MEMBER_COMPANY',
] as const;

export const linkedinQuerySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['pivot', 'time_granularity', 'start_date', 'end_date'],
  properties: {
    resource: { enum: ['ad_analytics'], description: 'ad_analytics: ad account reporting (the default)' },
    account_id: {
      ...DIGITS,
      description: 'Ad account: the digits of urn:li:sponsoredAccount:<id>; the session account by default',
    },
    pivot: { enum: LINKEDIN_PIVOTS, description: 'What each row is grouped by' },
    time_granularity: { enum: ['DAILY', 'MONTHLY', 'YEARLY', 'ALL'] },
    start_date: { ...DATE, description: 'First day, YYYY-MM-DD' },
    end_date: { ...DATE, description: 'Last day (included), YYYY-MM-DD' },
    fields: {
      type: 'array',
      minItems: 1,
      maxItems: LINKEDIN_MAX_FIELDS,
      uniqueItems: true,
      items: { type: 'string', pattern: '^[a-z][A-Za-z0-9]{0,63}$' },
      description:
        'Metrics, e.g. impressions, clicks, costInLocalCurrency (default impressions, clicks); dateRange and ' +
        'pivotValues are added while the 20-field limit leaves room',
    },
  },
} as const;

const createPost = {
  type: 'object',
  additionalProperties: false,
  required: ['organization_id', 'text'],
  properties: {
    organization_id: { ...DIGITS, description: 'The digits of urn:li:organization:<id>' },
    text: {
      type: 'string',
      minLength: 1,
      maxLength: 3000,
      description:
        'Plain text, shown as written: characters LinkedIn reads as markup (# @ ( ) _ …) are escaped, so it ' +
        'makes no hashtags or mentions',
    },
    visibility: { enum: ['PUBLIC', 'CONNECTIONS'], description: 'PUBLIC unless given' },
  },
} as const;

export const linkedinExecute = {
  create_post: {
    description: 'Publish a post as an organization the member administers (POST /rest/posts)',
    params: createPost,
  },
} as const;

export const linkedinOperationSchemas = { query: linkedinQuerySchema, execute: linkedinExecute } as const;
