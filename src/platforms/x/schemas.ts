// The operations inputs of the X type, as JSON Schemas: user ids are digits (so no id can change a request
// path), tweet fields are X's own names, and a post's text is 1 to 280 characters.
/** X user ids are 64-bit integers: at most 19 digits. */
const USER_ID = { type: 'string', pattern: '^[0-9]{1,19}$' } as const;

/** The tweet.fields X API v2 knows; public_metrics and created_at are always asked for. */
export const X_TWEET_FIELDS = [
  'attachments',
  'author_id',
  'context_annotations',
  'conversation_id',
  'created_at',
  'edit_controls',
  'edit_history_tweet_ids',
  'entities',
  'geo',
  'id',
  'in_reply_to_user_id',
  'lang',
  'non_public_metrics',
  'organic_metrics',
  'possibly_sensitive',
  'promoted_metrics',
  'public_metrics',
  'referenced_tweets',
  'reply_settings',
  'source',
  'text',
  'withheld',
] as const;

export const xQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    resource: { enum: ['tweets'], description: "tweets: the user's posts with public metrics (the default)" },
    account_id: {
      ...USER_ID,
      description: 'The user whose posts to read; the session account (else the connected user) by default',
    },
    max_results: { type: 'integer', minimum: 5, maximum: 100, description: 'Posts per page (X: 5 to 100)' },
    tweet_fields: {
      type: 'array',
      minItems: 1,
      maxItems: X_TWEET_FIELDS.length,
      uniqueItems: true,
      items: { enum: X_TWEET_FIELDS },
      description: 'tweet.fields besides public_metrics and created_at, e.g. lang, conversation_id',
    },
  },
} as const;

const createPost = {
  type: 'object',
  additionalProperties: false,
  required: ['text'],
  properties: {
    text: {
      type: 'string',
      minLength: 1,
      maxLength: 280,
      description: 'The post; X counts URLs as 23 characters and some scripts double, so it may still refuse',
    },
  },
} as const;

export const xExecute = {
  create_post: { description: 'Publish a post as the connected user (POST /2/tweets)', params: createPost },
} as const;

export const xOperationSchemas = { query: xQuerySchema, execute: xExecute } as const;
